// Running the schedulers' clients: output, exit status, signals, time limits.
#include <catch2/catch.hpp>

#include "cluster/command.h"

using namespace pipe::cluster;

TEST_CASE("a program's output and exit status", "[cluster]") {
  ProcessRunner runner;
  CommandResult r = runner.run({"sh", "-c", "echo 'out put'; echo err >&2; exit 3"});
  CHECK(r.exit_code == 3);
  CHECK(r.out == "out put\n");
  CHECK(r.err == "err\n");
  CHECK_FALSE(r.ok());
}

TEST_CASE("arguments reach the program as they are, without a shell", "[cluster]") {
  ProcessRunner runner;
  CommandResult r = runner.run({"printf", "%s|", "a b", "$HOME", "'q'"});
  CHECK(r.ok());
  CHECK(r.out == "a b|$HOME|'q'|");
}

TEST_CASE("a program that does not exist exits 127", "[cluster]") {
  ProcessRunner runner;
  CommandResult r = runner.run({"pipe-no-such-program"});
  CHECK(r.exit_code == 127);
  CHECK(r.err == "pipe-no-such-program: No such file or directory\n");
  CHECK_FALSE(on_path("pipe-no-such-program"));
  CHECK(on_path("sh"));
}

TEST_CASE("a program past its time limit is killed", "[cluster]") {
  ProcessRunner runner;
  CommandResult r = runner.run({"sleep", "30"}, 0.3);
  CHECK(r.timed_out);
  CHECK(r.signal == 9);
}
