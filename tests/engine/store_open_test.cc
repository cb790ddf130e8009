// A results folder whose pipe.db pipe cannot use — from a newer pipe,
// damaged, cut short, not a database — is a clear configuration error
// (exit 2), and the file keeps every byte it had.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>

#include "engine/error.h"
#include "engine/store.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

// A results folder with one run, its database checkpointed into pipe.db
// alone and in rollback-journal mode, as a copy from elsewhere could be.
void make_results(const std::string& dir, int user_version) {
  {
    Store store(dir);
    RunRecord r;
    r.name = r.base_name = "demo";
    r.status = "done";
    store.create_run(r);
  }
  SQLite::Database db(dir + "/pipe.db", SQLite::OPEN_READWRITE);
  db.exec("PRAGMA journal_mode=DELETE");
  db.exec("PRAGMA user_version = " + std::to_string(user_version));
}

std::string open_error(const std::string& dir, std::string* hint = nullptr) {
  try {
    Store store(dir);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    if (hint) *hint = e.hint_text();
    return e.line();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a database from a newer pipe is refused and left byte for byte as it was", "[store][open]") {
  TempDir dir;
  make_results(dir / "results", Store::kSchemaVersion + 1);
  std::string before = read_text(dir / "results/pipe.db");
  std::string hint;
  CHECK(open_error(dir / "results", &hint) ==
        dir / "results/pipe.db: results database has schema version 4, this pipe uses version 3");
  CHECK(hint == "use a pipe of the matching version, or another --results folder");
  CHECK(read_text(dir / "results/pipe.db") == before);
  CHECK_THROWS_AS(Store::open_existing(dir / "results"), Error);
  CHECK(read_text(dir / "results/pipe.db") == before);
}

TEST_CASE("a damaged or truncated database is refused and left as it was", "[store][open]") {
  TempDir dir;
  make_results(dir / "results", Store::kSchemaVersion);
  std::string good = read_text(dir / "results/pipe.db");
  REQUIRE(good.size() > 4096);
  // The schema lives on the first page, after the 100-byte file header.
  std::string damaged = good;
  for (size_t i = 100; i < 4096; ++i) damaged[i] = static_cast<char>(0xA5);
  write_text(dir / "results/pipe.db", damaged);
  std::string hint;
  CHECK(open_error(dir / "results", &hint) ==
        dir / "results/pipe.db: cannot open the results database: database disk image is malformed");
  CHECK(hint == "point --results / PIPE_RESULTS at a folder pipe created, or at a new one");
  CHECK(read_text(dir / "results/pipe.db") == damaged);
  // Cut inside the file header.
  write_text(dir / "results/pipe.db", good.substr(0, 60));
  CHECK(open_error(dir / "results") ==
        dir / "results/pipe.db: cannot open the results database: database disk image is malformed");
  CHECK(read_text(dir / "results/pipe.db") == good.substr(0, 60));
}
