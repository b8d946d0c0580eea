#pragma once
// The command line (CLI11), exactly the interface of DESIGN.md. Parses argv, runs the
// chosen subcommand and returns the exit code; CLI11's exceptions stay inside.

namespace logship {

int run_cli(int argc, char** argv);

}  // namespace logship
