// Moved to components/steps/ (one file per step, named like its script): this re-export keeps the old import path
// working for this round (issue 24).
export * from "./steps";
