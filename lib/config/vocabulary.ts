// The words of the stack config: the project's name, the roles, the TLS modes, the database engines, the PHP JIT modes.

// The contract's words (packages/facts/vocabulary.ts), re-exported under the names callers have always imported from here.
import { DB_ENGINES, PHP_JIT_MODES, PROJECT, ROLES, TLS_MODES } from "@seed-web/facts";
import type { DbEngine, PhpJit, Role, TlsMode } from "@seed-web/facts";
export { DB_ENGINES, PHP_JIT_MODES, PROJECT, ROLES, TLS_MODES };
export type { DbEngine, PhpJit, Role, TlsMode };
