// The pipe binary: stage kinds and extra commands come from
// register_builtin_stages() (stages/register.cc in the real binary).
#include "engine/cli.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Buffers of 4 MB and more (activations of a net's plans, datasets) get pages of
  // their own that go back to the system when freed.  glibc's default raises this
  // threshold after each such free, and a dropped plan's memory then stays resident.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
  return pipe::cli_main(argc, argv);
}
