// logship: entry point. Everything else lives behind run_cli().
#include "agent/cli.h"

int main(int argc, char** argv) { return logship::run_cli(argc, argv); }
