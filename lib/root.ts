// The project directory, from the source tree (lib/) or from its compiled copy (bin/lib/, built by `tsc -b` during
// `npm install` and `npm test`): scripts/, docker/, policy/ and the stack files are read from there, never from bin/.

import * as path from "path";

const up = path.dirname(__dirname);
export const PROJECT_DIR = path.basename(up) === "bin" ? path.dirname(up) : up;
