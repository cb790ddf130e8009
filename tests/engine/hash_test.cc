// Content hashes: canonical parameter trees, files and folders, and the
// size+mtime pre-check in front of the content hash.
#include <catch2/catch.hpp>

#include <ctime>

#include "engine/hash.h"
#include "engine/node.h"
#include "engine/schema.h"
#include "engine/store.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

std::string canonical_of(const std::string& yaml) {
  return canonical(to_json(parse_yaml(yaml, "t.yaml"), nullptr, ""));
}

// Keys of every stage of a pipeline, planned against an empty store.
std::vector<std::string> keys_of(const TempDir& dir, const std::string& yaml, const std::string& name) {
  RunSpec run = load_run(dir, yaml, name);
  Graph g = Graph::build(run.pipeline, Registry::global());
  Store store(dir / ("results-" + name));
  RealDisk disk;
  auto r = run_in_process(store, disk, g, run, {}, true);
  std::vector<std::string> out;
  for (const auto& p : r.plan) out.push_back(p.key);
  return out;
}

}  // namespace

TEST_CASE("canonical form ignores key order and number formatting", "[hash]") {
  std::string a = canonical_of("b: 1\na: [1, 2.50, {y: 1e-3, x: true}]\n");
  std::string b = canonical_of("{a: [1, 2.5, {x: yes, y: 0.001}], b: 1}");
  CHECK(a == b);
  CHECK(a == R"({"a":[1,2.5,{"x":true,"y":0.001}],"b":1})");
  // Values that differ do change it; an integer is not a float.
  CHECK(canonical_of("a: 1") != canonical_of("a: 2"));
  CHECK(canonical_of("a: 1") != canonical_of("a: 1.0"));
  CHECK(canonical_of("a: '1'") != canonical_of("a: 1"));
  CHECK(hash_string(a) == hash_string(b));
  CHECK(hash_string(a).size() == 32);
}

TEST_CASE("cache keys do not depend on YAML layout", "[hash]") {
  TempDir dir;
  write_text(dir / "data.txt", "x");
  auto block = keys_of(dir,
                       "name: demo\n"
                       "stages:\n"
                       "  - id: src\n"
                       "    kind: source\n"
                       "    path: data.txt\n"
                       "  - id: a\n"
                       "    kind: append\n"
                       "    input: src\n"
                       "    suffix: \"-a\"\n"
                       "    with_seed: true\n"
                       "  - id: s\n"
                       "    kind: score\n"
                       "    input: a\n"
                       "    epochs: 3\n",
                       "block.yaml");
  auto flow = keys_of(dir,
                      "# the same pipeline, written differently\n"
                      "stages: [{kind: source, id: src, path: ./data.txt},\n"
                      "         {with_seed: yes, suffix: -a, input: src, kind: append, id: a, seed: 0},\n"
                      "         {epochs: 3, kind: score, input: a, id: s}]\n"
                      "name: other-name\n",
                      "flow.yaml");
  CHECK(block == flow);
  // A stage id is not part of the key either: renaming a stage keeps its cache.
  auto renamed = keys_of(dir,
                         "stages:\n"
                         "  - {id: source, kind: source, path: data.txt}\n"
                         "  - {id: b, kind: append, input: source, suffix: -a, with_seed: true}\n"
                         "  - {id: s, kind: score, input: b, epochs: 3}\n",
                         "renamed.yaml");
  CHECK(renamed == block);
  auto changed = keys_of(dir,
                         "stages:\n"
                         "  - {id: src, kind: source, path: data.txt}\n"
                         "  - {id: a, kind: append, input: src, suffix: -a, with_seed: true}\n"
                         "  - {id: s, kind: score, input: a, epochs: 4}\n",
                         "changed.yaml");
  CHECK(changed[0] == block[0]);
  CHECK(changed[1] == block[1]);
  CHECK(changed[2] != block[2]);
}

TEST_CASE("files and folders hash by content", "[hash]") {
  TempDir dir;
  RealDisk disk;
  write_text(dir / "f.txt", "hello");
  write_text(dir / "d/a.txt", "A");
  write_text(dir / "d/sub/b.txt", "B");
  {
    Fingerprinter fp(disk, nullptr);
    CHECK(fp.path(dir / "f.txt") == hash_string("hello"));
    CHECK_THROWS_WITH(fp.path(dir / "nope"), dir / "nope: no such file or folder");
  }
  std::string tree1 = Fingerprinter(disk, nullptr).path(dir / "d");
  write_text(dir / "d/sub/b.txt", "C");
  std::string tree2 = Fingerprinter(disk, nullptr).path(dir / "d");
  CHECK(tree1 != tree2);
  std::rename((dir / "d/sub/b.txt").c_str(), (dir / "d/sub/c.txt").c_str());
  std::string tree3 = Fingerprinter(disk, nullptr).path(dir / "d");
  CHECK(tree3 != tree2);  // a renamed file changes the folder's hash
  std::rename((dir / "d/sub/c.txt").c_str(), (dir / "d/sub/b.txt").c_str());
  CHECK(Fingerprinter(disk, nullptr).path(dir / "d") == tree2);
}

TEST_CASE("size and mtime are the pre-check, the content hash is the truth", "[hash]") {
  TempDir dir;
  RealDisk disk;
  std::string f = dir / "data.txt";
  long long old = static_cast<long long>(std::time(nullptr)) - 3600;
  write_text(f, "aaaa");
  set_mtime(f, old);
  std::string h1;
  {
    Store store(dir / "results");
    h1 = Fingerprinter(disk, &store).path(f);
    CHECK(h1 == hash_string("aaaa"));
  }
  // A new mtime with the same content: hashed again, same hash.
  set_mtime(f, old + 10);
  {
    Store store(dir / "results");
    CHECK(Fingerprinter(disk, &store).path(f) == h1);
  }
  // New content of the same size with a new mtime: a new hash.
  write_text(f, "bbbb");
  set_mtime(f, old + 20);
  std::string h2;
  {
    Store store(dir / "results");
    h2 = Fingerprinter(disk, &store).path(f);
    CHECK(h2 == hash_string("bbbb"));
  }
  // Content changed behind the pre-check's back (same size, mtime restored):
  // the remembered hash is used, which shows the file was not read again.
  write_text(f, "cccc");
  set_mtime(f, old + 20);
  {
    Store store(dir / "results");
    CHECK(Fingerprinter(disk, &store).path(f) == h2);
  }
  // A different size always means hashing again.
  write_text(f, "ccccc");
  set_mtime(f, old + 20);
  {
    Store store(dir / "results");
    CHECK(Fingerprinter(disk, &store).path(f) == hash_string("ccccc"));
  }
}

TEST_CASE("a file modified just now is never trusted by the pre-check", "[hash]") {
  TempDir dir;
  RealDisk disk;
  std::string f = dir / "data.txt";
  long long now = static_cast<long long>(std::time(nullptr));
  write_text(f, "aaaa");
  set_mtime(f, now, 5);
  {
    Store store(dir / "results");
    CHECK(Fingerprinter(disk, &store).path(f) == hash_string("aaaa"));
  }
  // Rewritten within the same clock tick: same size, same mtime.
  write_text(f, "bbbb");
  set_mtime(f, now, 5);
  {
    Store store(dir / "results");
    CHECK(Fingerprinter(disk, &store).path(f) == hash_string("bbbb"));
  }
}
