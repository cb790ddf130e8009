// The job → driver journal: whole lines only, sequence numbers continued
// across a requeued attempt, torn lines skipped.
#include <catch2/catch.hpp>

#include <fstream>

#include "cluster/journal.h"
#include "tests/temp_folder.h"

using pipe::cluster::JournalReader;
using pipe::cluster::JournalWriter;

TEST_CASE("the reader sees each event once, as it is completed", "[cluster]") {
  pipe::testing::TempFolder dir;
  std::string path = dir.path() + "/journal.jsonl";
  JournalReader reader(path);
  CHECK(reader.read().empty());  // no file yet
  JournalWriter writer(path);
  writer.write("log", {{"line", "epoch 1"}});
  writer.write("epoch", {{"row", {{"epoch", 1}, {"loss", 0.5}}}});
  auto events = reader.read();
  REQUIRE(events.size() == 2);
  CHECK(events[0].dump() == R"({"line":"epoch 1","seq":1,"type":"log"})");
  CHECK(events[1]["row"]["loss"] == 0.5);
  CHECK(reader.read().empty());
  {
    std::ofstream half(path, std::ios::app);
    half << R"({"seq":3,"type":"lo)";
  }
  CHECK(reader.read().empty());  // unfinished: left for later
  {
    std::ofstream rest(path, std::ios::app);
    rest << R"(g","line":"x"})" << "\n";
  }
  events = reader.read();
  REQUIRE(events.size() == 1);
  CHECK(events[0]["line"] == "x");
}

TEST_CASE("a second attempt continues the sequence and skips a torn line", "[cluster]") {
  pipe::testing::TempFolder dir;
  std::string path = dir.path() + "/journal.jsonl";
  {
    JournalWriter first(path);
    first.write("log", {{"line", "a"}});
    first.write("log", {{"line", "b"}});
  }
  {
    std::ofstream torn(path, std::ios::app);
    torn << "{\"seq\":3,\"ty\n";  // killed mid-line
  }
  JournalWriter second(path);
  second.write("done", {{"seconds", 1.5}});
  JournalReader reader(path);
  auto events = reader.read();
  REQUIRE(events.size() == 3);
  CHECK(events[2]["seq"] == 3);
  CHECK(events[2]["type"] == "done");
}
