// The Disk interface's real implementation and its error messages.
#include <catch2/catch.hpp>

#include <cerrno>
#include <filesystem>

#include "engine/disk.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;
namespace fs = std::filesystem;

TEST_CASE("write_file writes through a temporary name and renames", "[disk]") {
  TempDir dir;
  RealDisk disk;
  disk.write_file(dir / "a.txt", "first");
  disk.write_file(dir / "a.txt", "second");
  CHECK(disk.read_file(dir / "a.txt") == "second");
  CHECK(disk.list_dir(dir.path()) == std::vector<std::string>{"a.txt"});  // no temporary left behind
  FileStat st;
  REQUIRE(disk.stat(dir / "a.txt", &st));
  CHECK(st.size == 6);
  CHECK_FALSE(st.is_dir);
  CHECK(st.mtime_ns > 0);
  CHECK_FALSE(disk.stat(dir / "none", &st));
}

TEST_CASE("file errors name the path and the reason", "[disk]") {
  TempDir dir;
  RealDisk disk;
  CHECK_THROWS_WITH(disk.write_file(dir / "no/such/dir/a.txt", "x"),
                    dir / "no/such/dir/a.txt.tmp." + std::to_string(::getpid()) +
                        ": cannot create: No such file or directory");
  CHECK_THROWS_WITH(disk.read_file(dir / "none.txt"),
                    dir / "none.txt: cannot read: No such file or directory");
  CHECK_THROWS_WITH(disk.rename(dir / "none", dir / "other"),
                    dir / "other: cannot rename " + dir / "none: No such file or directory");
  CHECK_THROWS_WITH(disk.list_dir(dir / "none"), dir / "none: cannot list folder: No such file or directory");
}

TEST_CASE("a full disk is said plainly, without a position", "[disk]") {
  Error full = disk_error("cannot write", "/r/tmp/k/out.bin", ENOSPC);
  CHECK(full.where().empty());
  CHECK(full.line() == "no space left on device (writing /r/tmp/k/out.bin)");
  CHECK(disk_error("cannot write", "/r/x", EDQUOT).line() == "disk quota exceeded (writing /r/x)");
  CHECK(disk_error("cannot write", "/r/x", EIO).line() == "/r/x: cannot write: Input/output error");
}

TEST_CASE("folders: make, list sorted, remove", "[disk]") {
  TempDir dir;
  RealDisk disk;
  disk.make_dirs(dir / "a/b/c");
  disk.write_file(dir / "a/z.txt", "z");
  disk.write_file(dir / "a/m.txt", "m");
  CHECK(disk.list_dir(dir / "a") == std::vector<std::string>{"b", "m.txt", "z.txt"});
  disk.rename(dir / "a", dir / "renamed");
  disk.remove_all(dir / "renamed");
  CHECK_FALSE(fs::exists(dir / "renamed"));
  CHECK_NOTHROW(disk.remove_all(dir / "renamed"));  // nothing there is fine
}
