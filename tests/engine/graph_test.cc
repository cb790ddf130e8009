// The stage DAG: topological order, input edges, seeds, dot output.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/graph.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

namespace {

std::vector<std::string> order_of(const Graph& g) {
  std::vector<std::string> out;
  for (int i : g.order()) out.push_back(g.stages()[i].spec.id);
  return out;
}

}  // namespace

TEST_CASE("producers come before consumers, file order among independent stages", "[graph]") {
  TempDir dir;
  write_text(dir / "data.txt", "x");
  // Listed consumers-first on purpose.
  RunSpec run = load_run(dir,
                         "stages:\n"
                         "  - {id: s, kind: score, input: f.right}\n"
                         "  - {id: lone, kind: sleep, seconds: 0}\n"
                         "  - {id: f, kind: fork, input: a}\n"
                         "  - {id: a, kind: append, input: src, also: [src, lone]}\n"
                         "  - {id: src, kind: source, path: data.txt}\n"
                         "  - {id: t, kind: score, input: f.left}\n");
  Graph g = Graph::build(run.pipeline, Registry::global());
  CHECK(order_of(g) == std::vector<std::string>{"lone", "src", "a", "f", "s", "t"});
  // Every stage appears after all of its producers.
  std::vector<int> pos(g.stages().size());
  for (size_t k = 0; k < g.order().size(); ++k) pos[g.order()[k]] = static_cast<int>(k);
  for (size_t i = 0; i < g.stages().size(); ++i)
    for (int d : g.stages()[i].deps) CHECK(pos[d] < pos[i]);

  const GraphStage& a = g.stages()[g.index_of("a")];
  REQUIRE(a.inputs.size() == 3);
  CHECK(a.inputs[0].param == "/input");
  CHECK(a.inputs[1].param == "/also/0");
  CHECK(a.inputs[2].param == "/also/1");
  CHECK(a.deps.size() == 2);  // src once, lone
  const GraphStage& s = g.stages()[g.index_of("s")];
  REQUIRE(s.inputs.size() == 1);
  CHECK(s.inputs[0].output == "right");
  CHECK(g.index_of("nope") == -1);
}

TEST_CASE("a stage that uses a seed gets the pipeline's unless it sets one", "[graph]") {
  TempDir dir;
  write_text(dir / "data.txt", "x");
  RunSpec run = load_run(dir,
                         "seed: 11\n"
                         "stages:\n"
                         "  - {id: src, kind: source, path: data.txt}\n"
                         "  - {id: a, kind: append, input: src}\n"
                         "  - {id: b, kind: append, input: src, seed: 5}\n");
  Graph g = Graph::build(run.pipeline, Registry::global());
  CHECK(g.stages()[1].params["seed"] == 11);
  CHECK(g.stages()[2].params["seed"] == 5);
  CHECK_FALSE(g.stages()[0].params.contains("seed"));  // source draws no random numbers
  // Defaults are filled in.
  CHECK(g.stages()[1].params["suffix"] == "");
  CHECK(g.stages()[1].params["with_seed"] == false);
}

TEST_CASE("dot output lists every stage and edge", "[graph]") {
  TempDir dir;
  write_text(dir / "data.txt", "x");
  RunSpec run = load_run(dir,
                         "name: demo\n"
                         "stages:\n"
                         "  - {id: src, kind: source, path: data.txt}\n"
                         "  - {id: f, kind: fork, input: src}\n"
                         "  - {id: s, kind: score, input: f.left}\n");
  Graph g = Graph::build(run.pipeline, Registry::global());
  CHECK(g.dot() ==
        "digraph \"demo\" {\n"
        "  rankdir=LR;\n"
        "  node [shape=box, style=rounded];\n"
        "  \"src\" [label=\"src\\n(source)\"];\n"
        "  \"f\" [label=\"f\\n(fork)\"];\n"
        "  \"s\" [label=\"s\\n(score)\"];\n"
        "  \"src\" -> \"f\";\n"
        "  \"f\" -> \"s\" [label=\"left\"];\n"
        "}\n");
}
