// Progress on stderr: plain lines when not a terminal, a live board on one.
#include <catch2/catch.hpp>

#include "engine/posix.h"  // first: see posix.h

#include <stdlib.h>

#include <cstdio>
#include <string>

#include "engine/progress.h"

using namespace pipe;

namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

void a_run(Progress& p) {
  p.begin_stages({"src", "train", "after"});
  p.stage("src", "cached", "[src] cached");
  p.stage("train", "running", "[train] running (new)");
  p.bar("train epoch 1/2", 0, 4, "batches");
  p.bar("train epoch 1/2", 4, 4, "batches");
  p.line("train: epoch 1 loss 0.5");
  p.stage("train", "failed", "[train] failed: diverged");
  p.stage("after", "skipped", "[after] skipped");
  p.end_stages();
}

}  // namespace

TEST_CASE("without a terminal progress is plain lines", "[progress]") {
  std::FILE* f = std::tmpfile();
  {
    Progress p(f);
    CHECK_FALSE(p.is_tty());
    a_run(p);
  }
  std::string out = contents(f);
  std::fclose(f);
  CHECK(out.find('\033') == std::string::npos);
  CHECK(
      out.rfind("[src] cached\n[train] running (new)\ntrain epoch 1/2: 0/4 batches, 0 batches/s, eta 0.00s\n",
                0) == 0);
  CHECK(out.find("train epoch 1/2: 4/4 batches, ") != std::string::npos);
  CHECK(out.find("\ntrain: epoch 1 loss 0.5\n[train] failed: diverged\n[after] skipped\n") !=
        std::string::npos);
}

TEST_CASE("on a terminal progress is a board redrawn in place", "[progress]") {
  std::FILE* f = std::tmpfile();
  {
    Progress p(f, /*live=*/true);
    CHECK(p.is_tty());
    a_run(p);
  }
  std::string out = contents(f);
  std::fclose(f);
  CHECK(out.find("\033[") != std::string::npos);  // cursor movement: redrawn, not appended
  CHECK(out.find("  . src    pending") != std::string::npos);
  CHECK(out.find("train epoch 1/2 [########################] 4/4 batches") != std::string::npos);
  // A failure's message stays above the board, and so do logged lines.
  CHECK(out.find("[train] failed: diverged\n") != std::string::npos);
  CHECK(out.find("train: epoch 1 loss 0.5\n") != std::string::npos);
  // The final board is the last thing written.
  std::string tail = out.substr(out.rfind("\033[J"));
  CHECK(tail.find("= src    cached") != std::string::npos);
  CHECK(tail.find("! train  failed") != std::string::npos);
  CHECK(tail.find("- after  skipped") != std::string::npos);
  CHECK(tail.find("[src] cached") == std::string::npos);  // no plain lines on a terminal
}

TEST_CASE("a terminal is detected", "[progress]") {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  std::FILE* tty = std::fopen(::ptsname(master), "w");
  REQUIRE(tty);
  {
    Progress p(tty);
    CHECK(p.is_tty());
  }
  std::fclose(tty);
  ::close(master);
}

TEST_CASE("durations read well", "[progress]") {
  CHECK(format_seconds(0.4249) == "0.42s");
  CHECK(format_seconds(185) == "3m05s");
  CHECK(format_seconds(3720) == "1h02m");
}
