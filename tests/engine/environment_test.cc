// The environment captured with every run.
#include <catch2/catch.hpp>

#include "engine/environment.h"
#include "engine/store.h"
#include "tests/engine/helpers.h"

using namespace pipe;
using namespace pipe::test;

TEST_CASE("the environment names pipe, compiler, CPU, threads and command", "[environment]") {
  add_env_provider([](nlohmann::json& env) { env["library"] = "1.2.3"; });
  nlohmann::json env = capture_environment(2, "pipe run x.yaml");
  CHECK(env["pipe_version"] == PIPE_VERSION);
  CHECK(env["git_commit"].get<std::string>().size() > 0);
  CHECK(env["compiler"].get<std::string>().find(__VERSION__) != std::string::npos);
  CHECK(env["threads"] == 2);
  CHECK(env["command"] == "pipe run x.yaml");
  CHECK(env["cores"].get<int>() >= 1);
  CHECK(env["host"].is_string());
  CHECK(env["isa_flags"].is_array());
  CHECK(env["library"] == "1.2.3");  // what linked libraries add
#if defined(__x86_64__)
  CHECK(env["cpu"].get<std::string>().size() > 0);
#endif
}

TEST_CASE("pipe run stores the environment with each run, seed included", "[environment][cli]") {
  TempDir dir;
  write_text(dir / "data.txt", "x");
  write_text(dir / "p.yaml", "seed: 31\nstages:\n  - {id: src, kind: source, path: data.txt}\n");
  REQUIRE(run_cli(dir.path(), {"run", "p.yaml", "--threads", "1"}).code == 0);
  Store store(dir / "results");
  RunRecord run = store.runs().at(0);
  CHECK(run.seed == 31);
  CHECK(run.env["seed"] == 31);
  CHECK(run.env["threads"] == 1);
  CHECK(run.env["jobs"] == 1);
  CHECK(run.env["command"].get<std::string>().find("run p.yaml --threads 1") != std::string::npos);
  CHECK(run.command == run.env["command"]);
  CHECK(run.env.contains("compiler"));
  CHECK(run.env.contains("cpu"));
}
