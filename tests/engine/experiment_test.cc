// Experiments: variants × seeds × grid points, run names, and their errors.
#include <catch2/catch.hpp>

#include "engine/config.h"
#include "engine/error.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

const char* kPipeline =
    "name: demo\n"
    "seed: 7\n"
    "stages:\n"
    "  - {id: src, kind: source, path: data.txt}\n"
    "  - {id: a, kind: append, input: src, suffix: '-a'}\n";

std::vector<RunSpec> expand(const TempDir& dir, const std::string& experiment, ExpandOptions options = {}) {
  use_fake_stages();
  write_text(dir / "data.txt", "x");
  write_text(dir / "pipelines/p.yaml", kPipeline);
  write_text(dir / "pipelines/data.txt", "x");
  write_text(dir / "experiments/exp.yaml", experiment);
  return expand_runs(dir / "experiments/exp.yaml", options);
}

std::vector<std::string> names(const std::vector<RunSpec>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r.name);
  return out;
}

std::string suffix_of(const RunSpec& run) { return run.pipeline.find("a")->params.find("suffix")->text(); }

}  // namespace

TEST_CASE("variants make one run each, named experiment/variant", "[experiment]") {
  TempDir dir;
  auto runs = expand(dir,
                     "pipeline: ../pipelines/p.yaml\n"
                     "variants:\n"
                     "  x: { a.suffix: '-x' }\n"
                     "  y: { a.suffix: '-y', seed: 3 }\n");
  CHECK(names(runs) == std::vector<std::string>{"exp/x", "exp/y"});
  CHECK(suffix_of(runs[0]) == "-x");
  CHECK(suffix_of(runs[1]) == "-y");
  CHECK(runs[0].experiment == "exp");
  CHECK(runs[1].variant == "y");
  CHECK(runs[0].seed == 7);  // the pipeline's seed
  CHECK(runs[1].seed == 3);
  CHECK(runs[0].point == -1);
}

TEST_CASE("several seeds add /seed<N>, a grid adds /p<i>", "[experiment]") {
  TempDir dir;
  auto runs = expand(dir,
                     "name: study\n"
                     "pipeline: ../pipelines/p.yaml\n"
                     "variants:\n"
                     "  x: { a.suffix: '-x' }\n"
                     "  y: { a.suffix: '-y' }\n"
                     "grid:\n"
                     "  a.with_seed: [true, false]\n"
                     "  a.suffix: ['-g1', '-g2']\n"
                     "seeds: [1, 2]\n");
  REQUIRE(runs.size() == 2 * 2 * 4);
  CHECK(runs[0].name == "study/x/seed1/p0");
  CHECK(runs[3].name == "study/x/seed1/p3");
  CHECK(runs[4].name == "study/x/seed2/p0");
  CHECK(runs[15].name == "study/y/seed2/p3");
  // The first grid key varies slowest; the grid applies after the variant.
  CHECK(runs[0].pipeline.find("a")->params.find("with_seed")->text() == "true");
  CHECK(suffix_of(runs[0]) == "-g1");
  CHECK(suffix_of(runs[1]) == "-g2");
  CHECK(runs[2].pipeline.find("a")->params.find("with_seed")->text() == "false");
  CHECK(runs[4].seed == 2);
  CHECK(runs[4].pipeline.seed == 2);
  CHECK(runs[5].point == 1);
}

TEST_CASE("one seed and no variants keep the plain experiment name", "[experiment]") {
  TempDir dir;
  auto runs = expand(dir, "pipeline: ../pipelines/p.yaml\nseeds: [42]\n");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].name == "exp");
  CHECK(runs[0].seed == 42);
}

TEST_CASE("option --variant and --point pick one run; --set applies to every run", "[experiment]") {
  TempDir dir;
  const char* yaml =
      "pipeline: ../pipelines/p.yaml\n"
      "variants:\n"
      "  x: { a.suffix: '-x' }\n"
      "  y: { a.suffix: '-y' }\n"
      "grid:\n"
      "  a.with_seed: [true, false]\n";
  ExpandOptions o;
  o.variant = "y";
  o.point = 1;
  o.sets.push_back(parse_set("seed=5"));
  auto runs = expand(dir, yaml, o);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].name == "exp/y/p1+seed=5");  // --set shows in the name
  CHECK(runs[0].plain_name == "exp/y/p1");
  CHECK(runs[0].seed == 5);

  o.variant = "z";
  try {
    expand(dir, yaml, o);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kConfig);
    CHECK(e.line() == "--variant: no variant 'z' in " + dir / "experiments/exp.yaml");
    CHECK(e.hint_text() == "variants: x, y");
  }
  o.variant = "";
  o.point = 2;
  CHECK_THROWS_WITH(expand(dir, yaml, o), "--point: --point 2 is out of range");
}

TEST_CASE("variant overrides are checked like --set, at their line", "[experiment]") {
  TempDir dir;
  try {
    auto runs = expand(dir,
                       "pipeline: ../pipelines/p.yaml\n"
                       "variants:\n"
                       "  x: { nope.suffix: '-x' }\n");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.line() == dir / "experiments/exp.yaml:3:8: no stage 'nope' in pipeline 'demo'");
  }
  CHECK_THROWS_WITH(expand(dir, "pipeline: ../pipelines/p.yaml\nseeds: []\n"),
                    dir / "experiments/exp.yaml:2:8: seeds: expected a non-empty list of integers");
  CHECK_THROWS_WITH(expand(dir, "pipeline: ../pipelines/p.yaml\ngrid: { a.suffix: x }\n"),
                    dir / "experiments/exp.yaml:2:19: grid 'a.suffix': expected a non-empty list of values");
  CHECK_THROWS_WITH(
      expand(dir, "pipeline: nothere.yaml\n"),
      dir / "experiments/exp.yaml:1:11: pipeline file not found: " + dir / "experiments/nothere.yaml");
  CHECK_THROWS_WITH(expand(dir, "pipeline: ../pipelines/p.yaml\nvariant: {}\n"),
                    dir / "experiments/exp.yaml:2:1: unknown key 'variant' (did you mean 'variants'?)");
}

TEST_CASE("paths in variant overrides are relative to the experiment file", "[experiment][paths]") {
  TempDir dir;
  write_text(dir / "experiments/other.txt", "o");
  auto runs = expand(dir, "pipeline: ../pipelines/p.yaml\nvariants:\n  o: { src.path: other.txt }\n");
  Graph g = Graph::build(runs[0].pipeline, Registry::global());
  CHECK(g.stages()[0].params["path"] == dir / "experiments/other.txt");
}
