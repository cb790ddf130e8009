// YAML → pipeline: every configuration error with its exact message and
// 1-based FILE:LINE:COL, --set overrides, and path resolution.
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/config.h"
#include "engine/disk.h"
#include "engine/error.h"
#include "engine/graph.h"
#include "engine/node.h"
#include "engine/schema.h"
#include "engine/stage.h"
#include "engine/store.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

// Lines 1-9; a test appends lines from line 10 on.
const char* kBase =
    "name: demo\n"
    "seed: 7\n"
    "stages:\n"
    "  - id: src\n"
    "    kind: source\n"
    "    path: data.txt\n"
    "  - id: a\n"
    "    kind: append\n"
    "    input: src\n";

std::string base_with(const std::string& extra) { return std::string(kBase) + extra; }

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

struct Fixture {
  TempDir dir;
  Fixture() { write_text(dir / "data.txt", "hello"); }
  std::string error(const std::string& yaml, const std::vector<std::string>& sets = {}) {
    return config_error(dir, yaml, sets, &hint);
  }
  std::string hint;
};

}  // namespace

TEST_CASE("a valid pipeline has no error", "[config]") {
  Fixture f;
  CHECK(f.error(kBase) == "");
}

TEST_CASE("malformed YAML gives its 1-based position", "[config]") {
  Fixture f;
  CHECK(f.error(base_with("   suffix: x\n")) == "p.yaml:10:4: malformed YAML: end of sequence not found");
  CHECK(f.error(base_with("    suffix: [1, 2\n")) ==
        "p.yaml:11:1: malformed YAML: end of sequence flow not found");
}

TEST_CASE("an unknown key lists the known keys and suggests the closest", "[config]") {
  Fixture f;
  CHECK(f.error(base_with("    sufix: x\n")) ==
        "p.yaml:10:5: stage 'a': unknown key 'sufix' (did you mean 'suffix'?)");
  CHECK(f.hint == "known keys: id, kind, input, suffix, with_seed, also, seed");
  // Nothing close: no suggestion, still the list.
  CHECK(f.error(base_with("    colour: red\n")) == "p.yaml:10:5: stage 'a': unknown key 'colour'");
  CHECK(f.hint == "known keys: id, kind, input, suffix, with_seed, also, seed");
  // Top level of a pipeline.
  CHECK(f.error(base_with("stagez: 1\n")) == "p.yaml:10:1: unknown key 'stagez' (did you mean 'stages'?)");
  CHECK(f.hint == "known keys in a pipeline: name, seed, stages");
}

TEST_CASE("a wrong type says what was expected and what was found", "[config]") {
  Fixture f;
  CHECK(f.error(base_with("    with_seed: maybe\n")) ==
        "p.yaml:10:16: stage 'a': with_seed: expected true or false, got 'maybe'");
  CHECK(f.error(base_with("    suffix: [1, 2]\n")) ==
        "p.yaml:10:13: stage 'a': suffix: expected a string, got a list");
  CHECK(f.error(replaced(kBase, "seed: 7", "seed: abc")) ==
        "p.yaml:2:7: seed: expected an integer, got 'abc'");
  CHECK(f.error(base_with("  - id: s\n    kind: score\n    input: a\n    epochs: 2.5\n")) ==
        "p.yaml:13:13: stage 's': epochs: expected an integer, got '2.5'");
}

TEST_CASE("a missing required key points at the mapping that lacks it", "[config]") {
  Fixture f;
  CHECK(f.error(replaced(kBase, "    input: src\n", "    suffix: x\n")) ==
        "p.yaml:7:5: stage 'a': missing required key 'input'");
  CHECK(f.hint == "input: upstream");
  CHECK(f.error(replaced(kBase, "    kind: append\n", "")) == "p.yaml:7:5: missing required key 'kind'");
  CHECK(f.error("name: demo\n") == "p.yaml:1:1: missing required key 'stages'");
}

TEST_CASE("a duplicate key is an error, not silently the first", "[config]") {
  Fixture f;
  CHECK(f.error(base_with("    input: a\n")) ==
        "p.yaml:10:5: duplicate key 'input' (first defined at line 9)");
  CHECK(f.error("name: x\nname: y\nstages: []\n") ==
        "p.yaml:2:1: duplicate key 'name' (first defined at line 1)");
  // Inside a flow mapping too.
  CHECK(f.error(base_with("  - {id: b, kind: append, input: a, input: src}\n")) ==
        "p.yaml:10:37: duplicate key 'input' (first defined at line 10)");
}

TEST_CASE("an unknown stage kind suggests the closest", "[config]") {
  Fixture f;
  CHECK(f.error(replaced(kBase, "kind: append", "kind: apend")) ==
        "p.yaml:8:11: unknown stage kind 'apend' (did you mean 'append'?)");
  // (Tests may register more kinds after these.)
  CHECK(f.hint.rfind("known kinds: source, append, fork, score, fail, sleep, crash", 0) == 0);
}

TEST_CASE("an unknown input names the stages there are", "[config]") {
  Fixture f;
  CHECK(f.error(replaced(kBase, "input: src", "input: srcc")) ==
        "p.yaml:9:12: stage 'a': input: no stage 'srcc' (did you mean 'src'?)");
  CHECK(f.hint == "stages: src, a");
  CHECK(f.error(replaced(kBase, "input: src", "input: src.left")) ==
        "p.yaml:9:12: stage 'a': input: stage 'src' has no output 'left'");
  CHECK(f.error(base_with("  - {id: f, kind: fork, input: a}\n  - {id: b, kind: append, input: f}\n")) ==
        "p.yaml:11:34: stage 'b': input: stage 'f' has several outputs; name one");
  CHECK(f.hint == "write one of: f.left, f.right");
  // Inputs inside lists are checked too.
  CHECK(f.error(base_with("    also: [src, nope]\n")) == "p.yaml:10:17: stage 'a': also/1: no stage 'nope'");
}

TEST_CASE("a cycle prints its path in data-flow order", "[config]") {
  Fixture f;
  std::string yaml =
      "name: demo\n"
      "stages:\n"
      "  - id: a\n"
      "    kind: append\n"
      "    input: c\n"
      "  - id: b\n"
      "    kind: append\n"
      "    input: a\n"
      "  - id: c\n"
      "    kind: append\n"
      "    input: b\n";
  CHECK(f.error(yaml) == "p.yaml:8:12: cycle in stage inputs: a -> b -> c -> a");
  CHECK(f.error("stages:\n  - {id: a, kind: append, input: a}\n") ==
        "p.yaml:2:34: cycle in stage inputs: a -> a");
}

TEST_CASE("a duplicate stage id names the first", "[config]") {
  Fixture f;
  CHECK(f.error(replaced(kBase, "id: a", "id: src")) ==
        "p.yaml:7:9: duplicate stage id 'src' (first defined at line 4)");
}

TEST_CASE("other structural errors", "[config]") {
  Fixture f;
  CHECK(f.error("") == "p.yaml: the file is empty");
  CHECK(f.error("- a\n- b\n") == "p.yaml:1:1: a pipeline: expected a mapping, got a list");
  CHECK(f.error("name: x\nstages: []\n") == "p.yaml:2:9: stages: the list is empty");
  CHECK(f.error("stages:\n  - source\n") ==
        "p.yaml:2:5: a stage must be a mapping with id and kind, got a scalar");
  CHECK(f.error(replaced(kBase, "id: a", "id: a.b")) == "p.yaml:7:9: stage id 'a.b' must be a plain name");
  CHECK(f.error(base_with("    suffix: x\n    with_seed: [\n")) ==
        "p.yaml:12:1: malformed YAML: end of sequence flow not found");
}

TEST_CASE("option --set errors name the override", "[config][set]") {
  Fixture f;
  CHECK(f.error(kBase, {"nope.x=1"}) == "--set nope.x: no stage 'nope' in pipeline 'demo'");
  CHECK(f.error(kBase, {"srcc.path=x"}) ==
        "--set srcc.path: no stage 'srcc' in pipeline 'demo' (did you mean 'src'?)");
  CHECK(f.error(kBase, {"a.with_seed=maybe"}) ==
        "--set a.with_seed: stage 'a': with_seed: expected true or false, got 'maybe'");
  CHECK(f.error(kBase, {"a.sufix=x"}) ==
        "--set a.sufix: stage 'a': unknown key 'sufix' (did you mean 'suffix'?)");
  CHECK(f.error(kBase, {"a.suffix=[1"}) ==
        "--set a.suffix: the value is not valid YAML: end of sequence flow not found");
  CHECK(f.error(kBase, {"a.suffix"}) == "--set a.suffix: expected KEY=VALUE, e.g. train.epochs=3");
  CHECK(f.error(kBase, {"a..x=1"}) == "--set a..x: empty part in key 'a..x'");
  CHECK(f.error(kBase, {"a.id=b"}) == "--set a.id: the id of a stage cannot be overridden");
  CHECK(f.error(kBase, {"a.input.x=1"}) == "--set a.input.x: 'a.input' is a scalar, not a mapping");
  CHECK(f.error(kBase, {"a.suffix.x=1"}) ==
        "--set a.suffix.x: stage 'a': suffix: expected a string, got a mapping");
  CHECK(f.error(kBase, {"seed=x"}) == "--set seed: seed: expected an integer, got 'x'");
  CHECK(f.error(kBase, {"a.input=nope"}) == "--set a.input: stage 'a': input: no stage 'nope'");
}

TEST_CASE("option --set replaces and adds values", "[config][set]") {
  TempDir dir;
  write_text(dir / "data.txt", "x");
  RunSpec run = load_run(dir, kBase, "p.yaml", {"a.suffix=-z", "seed=9", "a.also=[src]", "name=renamed"});
  const StageSpec* a = run.pipeline.find("a");
  REQUIRE(a);
  CHECK(a->params.find("suffix")->text() == "-z");
  CHECK(a->params.find("also")->items().size() == 1);
  CHECK(run.pipeline.seed == 9);
  CHECK(run.pipeline.name == "renamed");
  // The override list records what was set, for `pipe show`.
  REQUIRE(run.overrides.size() == 4);
  CHECK(run.overrides[0] == std::make_pair(std::string("a.suffix"), std::string("-z")));
  CHECK(run.overrides[2] == std::make_pair(std::string("a.also"), std::string("[src]")));
}

TEST_CASE("paths in YAML are relative to the file, --set paths to the current folder", "[config][paths]") {
  use_fake_stages();
  TempDir dir;
  write_text(dir / "sub/data.txt", "in sub");
  write_text(dir / "cwd/data.txt", "in cwd");
  write_text(dir / "sub/p.yaml", "stages:\n  - id: src\n    kind: source\n    path: data.txt\n");
  std::string old = std::filesystem::current_path().string();
  std::filesystem::current_path(dir / "cwd");
  std::vector<RunSpec> from_file, from_set;
  try {
    from_file = expand_runs("../sub/p.yaml", {});
    ExpandOptions o;
    o.sets.push_back(parse_set("src.path=data.txt"));
    from_set = expand_runs("../sub/p.yaml", o);
  } catch (...) {
    std::filesystem::current_path(old);
    throw;
  }
  std::filesystem::current_path(old);
  Graph g1 = Graph::build(from_file[0].pipeline, Registry::global());
  Graph g2 = Graph::build(from_set[0].pipeline, Registry::global());
  CHECK(g1.stages()[0].params["path"] == dir / "sub/data.txt");
  CHECK(g2.stages()[0].params["path"] == dir / "cwd/data.txt");
  // A plain pipeline is named after its file when it has no name.
  CHECK(from_file[0].name == "p");
}

TEST_CASE("YAML nodes keep 1-based marks and quoting", "[config][node]") {
  Node n = parse_yaml("a: 1\nb:\n  - 'x'\n  - y\n", "f.yaml");
  REQUIRE(n.is_map());
  CHECK(n.find("a")->mark().str() == "f.yaml:1:4");
  CHECK(n.find_entry("b")->key_mark.str() == "f.yaml:2:1");
  CHECK(n.find("b")->items()[0].quoted());
  CHECK_FALSE(n.find("b")->items()[1].quoted());
  CHECK(n.find("b")->items()[1].mark().str() == "f.yaml:4:5");
  CHECK(to_flow(n) == "{a: 1, b: [x, y]}");
}

// ---- nested keys keep their positions ------------------------------------------------------------

namespace {

class Nothing : public Stage {
 public:
  void run(StageContext&) override {}
};

// A kind with nested keys: a mapping, a list of mappings, a free-form list
// checked by the kind, and a check across the keys of `source`.
void use_nested_kind() {
  use_fake_stages();
  Schema source{{required(file("path", "a file")), one_of("layout", {"folder", "manifest"}, "folder", "how"),
                 integer("limit", 0, "at most this many")}};
  source.check = [](const Param& s) {
    if ((*s)["limit"].get<long long>() < 0) throw s["limit"].error("must be ≥ 0");
    if ((*s)["layout"] == "manifest" && (*s)["limit"].get<long long>() > 0)
      throw s["limit"].error("applies to folders only");
  };
  Check ops = [](const Param& list) {
    if (!list->is_array()) throw list.error("expected a list");
    for (size_t i = 0; i < list->size(); ++i) {
      Param op = list[i];
      if (!op->is_object() || op->size() != 1) throw op.error("expected a one-key mapping");
      Param value = op[op->begin().key()];
      if (!value->is_number()) throw value.error("expected a number, got " + value->dump());
    }
  };
  Registry::global().add({"nest",
                          1,
                          "nested keys",
                          Schema{{mapping("source", source, "one source"),
                                  list_of("sources", mapping("sources", source, ""), nlohmann::json::array(), ""),
                                  checked(any("ops", nlohmann::json::array(), "a list of {name: number}"), ops)}},
                          {},
                          false,
                          [] { return std::make_unique<Nothing>(); }});
}

const char* kNested =
    "name: nested\n"
    "stages:\n"
    "  - id: n\n"
    "    kind: nest\n";

struct NestedFixture : Fixture {
  NestedFixture() {
    use_nested_kind();
    write_text(dir / "a.txt", "a");
    write_text(dir / "b.txt", "b");
  }
  std::string nested(const std::string& lines, const std::vector<std::string>& sets = {}) {
    return error(std::string(kNested) + lines, sets);
  }
};

}  // namespace

TEST_CASE("key paths read like the keys a user writes", "[config][nested]") {
  CHECK(key_path("") == "");
  CHECK(key_path("/epochs") == "epochs");
  CHECK(key_path("/source/path") == "source.path");
  CHECK(key_path("/sources/0/path") == "sources[0].path");
  CHECK(key_path("/ops/1/elastic/alpha") == "ops[1].elastic.alpha");
}

TEST_CASE("errors in nested mappings name the full key and point at its node", "[config][nested]") {
  NestedFixture f;
  CHECK(f.nested("    source: { path: a.txt, layout: manfest }\n") ==
        "p.yaml:5:36: stage 'n': source.layout: 'manfest' is not allowed");
  CHECK(f.hint == "allowed: folder | manifest");
  CHECK(f.nested("    source: { path: a.txt, layot: folder }\n") ==
        "p.yaml:5:28: stage 'n': source: unknown key 'layot' (did you mean 'layout'?)");
  CHECK(f.hint == "known keys in source: path, layout, limit");
  CHECK(f.nested("    source: { layout: folder }\n") == "p.yaml:5:13: stage 'n': source: missing required key 'path'");
  CHECK(f.nested("    source: { path: a.txt, limit: many }\n") ==
        "p.yaml:5:35: stage 'n': source.limit: expected an integer, got 'many'");
  CHECK(f.nested("    source: [a.txt]\n") == "p.yaml:5:13: stage 'n': source: expected a mapping, got a list");
  // In a list of mappings, the index is part of the name.
  CHECK(f.nested("    sources:\n      - { path: a.txt }\n      - { path: b.txt, layout: x }\n") ==
        "p.yaml:7:32: stage 'n': sources[1].layout: 'x' is not allowed");
  CHECK(f.nested("    sources:\n      - { path: a.txt }\n      - path: b.txt\n        colour: red\n") ==
        "p.yaml:8:9: stage 'n': sources[1]: unknown key 'colour'");
  // The top level keeps its plain names.
  CHECK(f.nested("    colour: red\n") == "p.yaml:5:5: stage 'n': unknown key 'colour'");
  CHECK(f.hint == "known keys: id, kind, source, sources, ops");
}

TEST_CASE("checks of a stage kind point at the offending nested node", "[config][nested]") {
  NestedFixture f;
  // A check on a free-form list reaches a value two levels down.
  CHECK(f.nested("    ops: [ {rotate: 10}, {shift: abc} ]\n") ==
        "p.yaml:5:34: stage 'n': ops[1].shift: expected a number, got \"abc\"");
  CHECK(f.nested("    ops:\n      - rotate: 10\n      - flip\n") ==
        "p.yaml:7:9: stage 'n': ops[1]: expected a one-key mapping");
  CHECK(f.nested("    ops: {rotate: 10}\n") == "p.yaml:5:10: stage 'n': ops: expected a list");
  // A check across the keys of a mapping, at the key it blames.
  CHECK(f.nested("    source: { path: a.txt, limit: -1 }\n") ==
        "p.yaml:5:35: stage 'n': source.limit: must be ≥ 0");
  CHECK(f.nested("    sources: [ { path: a.txt }, { path: b.txt, layout: manifest, limit: 3 } ]\n") ==
        "p.yaml:5:73: stage 'n': sources[1].limit: applies to folders only");
  // A nested value given by --set points at the option.
  CHECK(f.nested("    source: { path: a.txt }\n", {"n.source.layout=x"}) ==
        "--set n.source.layout: stage 'n': source.layout: 'x' is not allowed");
  CHECK(f.nested("    source: { path: a.txt }\n", {"n.ops=[{zoom: big}]"}) ==
        "--set n.ops: stage 'n': ops[0].zoom: expected a number, got \"big\"");
  CHECK(f.nested("    source: { path: a.txt }\n    ops: [ {zoom: 0.1} ]\n") == "");
}

TEST_CASE("a Param keeps positions through lookups and falls back to the nearest ancestor", "[config][nested]") {
  Node node = parse_yaml("source:\n  path: a\n  opts: { x: [1, 2] }\n", "f.yaml");
  MarkTable marks;
  nlohmann::json value = to_json(node, &marks, "");
  Param root(value, locate_in(marks));
  CHECK(root["source"]["path"].mark().str() == "f.yaml:2:9");
  CHECK(root["source"]["opts"]["x"][1].mark().str() == "f.yaml:3:18");
  CHECK(root["source"]["opts"]["x"][1].key() == "source.opts.x[1]");
  CHECK(*root["source"]["opts"]["x"][1] == 2);
  // Absent: null, at the mapping that lacks it.
  CHECK(root["source"]["missing"]->is_null());
  CHECK(root["source"]["missing"].mark().str() == "f.yaml:2:3");
  CHECK(root["source"]["opts"]["x"][7].mark().str() == "f.yaml:3:14");
  CHECK(root["source"]["path"].error("no good").line() == "f.yaml:2:9: source.path: no good");
  // Without positions an error still names the key.
  Param bare(value);
  CHECK(bare["source"]["path"].error("no good").line() == "source.path: no good");
}

TEST_CASE("nested file paths have their own marks, and each enters the cache key", "[config][nested][cache]") {
  NestedFixture f;
  RunSpec spec = load_run(f.dir,
                          std::string(kNested) + "    source: { path: a.txt }\n"
                                                 "    sources: [ { path: a.txt }, { path: b.txt } ]\n");
  Graph graph = Graph::build(spec.pipeline, Registry::global());
  std::vector<std::string> pointers;
  visit_fields(graph.stages()[0].params, graph.stages()[0].kind->schema, FieldType::kFile,
               [&](const std::string& ptr, const nlohmann::json&) { pointers.push_back(ptr); });
  CHECK(pointers == std::vector<std::string>{"/source/path", "/sources/0/path", "/sources/1/path"});
  CHECK(graph.stages()[0].marks.at("/sources/1/path").str() == f.dir / "p.yaml:6:41");

  RealDisk disk;
  Store store(f.dir / "results");
  std::string before = run_in_process(store, disk, graph, spec, {}, true).plan[0].key;
  // The first of two sources changes: the key must change too.
  write_text(f.dir / "a.txt", "a, edited");
  std::string after = run_in_process(store, disk, graph, spec, {}, true).plan[0].key;
  CHECK(before != after);
  write_text(f.dir / "b.txt", "b, edited");
  CHECK(run_in_process(store, disk, graph, spec, {}, true).plan[0].key != after);
}

TEST_CASE("a missing nested file is an error at its position", "[config][nested]") {
  NestedFixture f;
  RunSpec spec = load_run(f.dir, std::string(kNested) + "    sources: [ { path: a.txt }, { path: nope.txt } ]\n");
  Graph graph = Graph::build(spec.pipeline, Registry::global());
  RealDisk disk;
  Store store(f.dir / "results");
  try {
    run_in_process(store, disk, graph, spec, {}, true);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.where() == f.dir / "p.yaml:5:41");
    CHECK(e.message().find("no such file or folder: ") != std::string::npos);
  }
}

TEST_CASE("a free-form field can keep its scalars as text", "[config][nested]") {
  Node node = parse_yaml("names: [007, yes, {a: 1.50}]\nvalues: [007, yes, {a: 1.50}]\n", "f.yaml");
  Schema schema{{as_text(any("names", nullptr, "")), any("values", nullptr, "")}};
  nlohmann::json out = validate(node, schema, nullptr);
  CHECK(out["names"] == nlohmann::json::parse(R"(["007", "yes", {"a": "1.50"}])"));
  CHECK(out["values"] == nlohmann::json::parse(R"([7, true, {"a": 1.5}])"));
}

namespace {

// The error (line and hint) of one value of a schema with ranges, or "".
std::string range_error(const std::string& yaml, std::string* hint) {
  Schema schema{{
      at_least(integer("epochs", 10, ""), 1),
      between(number("fraction", 0.5, ""), 0, 1),
      strictly_between(number("factor", 0.1, ""), 0, 1),
      below(number("smoothing", 0.0, ""), 0, 1),
      at_least(number("rate", 0.001, ""), 1e-06),
  }};
  hint->clear();
  try {
    validate(parse_yaml(yaml, "s.yaml"), schema, nullptr);
  } catch (const Error& e) {
    *hint = e.hint_text();
    return e.line();
  }
  return "";
}

}  // namespace

TEST_CASE("integer and number ranges of a schema say what is allowed", "[config][range]") {
  std::string hint;
  CHECK(range_error("epochs: -3", &hint) == "s.yaml:1:9: epochs: must be at least 1 (got -3)");
  CHECK(hint == "allowed: an integer ≥ 1");
  CHECK(range_error("epochs: 1", &hint) == "");
  CHECK(range_error("fraction: 1.5", &hint) == "s.yaml:1:11: fraction: must be between 0 and 1 (got 1.5)");
  CHECK(hint == "allowed: a number from 0 to 1");
  CHECK(range_error("fraction: 0", &hint) == "");
  CHECK(range_error("fraction: 1", &hint) == "");
  CHECK(range_error("factor: 1", &hint) == "s.yaml:1:9: factor: must be between 0 and 1, both excluded (got 1)");
  CHECK(hint == "allowed: a number > 0 and < 1");
  CHECK(range_error("factor: 0", &hint) == "s.yaml:1:9: factor: must be between 0 and 1, both excluded (got 0)");
  CHECK(range_error("smoothing: 1", &hint) == "s.yaml:1:12: smoothing: must be between 0 and 1, 1 excluded (got 1)");
  CHECK(hint == "allowed: a number ≥ 0 and < 1");
  CHECK(range_error("smoothing: 0", &hint) == "");
  CHECK(range_error("rate: 0", &hint) == "s.yaml:1:7: rate: must be at least 1e-06 (got 0)");
  CHECK(range_error("rate: .inf", &hint) == "");
  // A default is not checked: a schema may default to a value outside the range ("0: off").
  CHECK(range_error("{}", &hint) == "");
  CHECK(range_text(at_least(integer("k", 1, ""), 1)) == "≥ 1");
  CHECK(range_text(integer("k", 1, "")) == "");
}

TEST_CASE("a --set value out of its range is an error before anything runs", "[config][range][set]") {
  Fixture f;
  const std::string with_score = base_with("  - id: s\n    kind: score\n    input: a\n");
  CHECK(f.error(with_score, {"s.epochs=-3"}) == "--set s.epochs: stage 's': epochs: must be at least 1 (got -3)");
  CHECK(f.hint == "allowed: an integer ≥ 1");
  CHECK(f.error(with_score + "    epochs: 0\n") == "p.yaml:13:13: stage 's': epochs: must be at least 1 (got 0)");
  CHECK(f.hint == "allowed: an integer ≥ 1");
}
