// Include POSIX headers through this file, first.
//
// <unistd.h> declares ::pipe(int[2]), which clashes with `namespace pipe`
// in any translation unit that sees both (zlib.h includes <unistd.h> too).
// Renaming the function while the headers are read avoids the clash; once
// included, later includes of <unistd.h> are no-ops thanks to its guard.
#pragma once

#define pipe posix_pipe_syscall
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if __has_include(<zlib.h>)
#include <zlib.h>
#endif
#undef pipe
