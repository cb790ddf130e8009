// The pipe binary: stage kinds and extra commands come from
// register_builtin_stages() (stages/register.cc in the real binary).
#include "engine/cli.h"

int main(int argc, char** argv) { return pipe::cli_main(argc, argv); }
