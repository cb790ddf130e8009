#include "cluster/job_runner.h"

#include <chrono>
#include <cstdio>

#include "cluster/job_context.h"
#include "engine/paths.h"

namespace pipe::cluster {

using json = nlohmann::json;

int run_job(const std::string& spec_path, const std::string& pipe_version, Disk& disk, Progress& progress) {
  JobSpec spec;
  try {
    spec = job_spec_from_json(json::parse(disk.read_file(spec_path)), spec_path);
  } catch (const json::exception& e) {
    Error err = ConfigError(std::string("not a job spec: ") + e.what()).at(spec_path);
    std::fprintf(stderr, "%s\n", err.format().c_str());
    return err.exit_code();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.format().c_str());
    return e.exit_code();
  }
  JournalWriter journal(spec.journal);
  auto fail = [&](Error e) {
    e.context("stage '" + spec.stage_id + "'");
    journal.write("error", {{"error", e.to_json()}});
    progress.clear();
    std::fprintf(stderr, "%s\n", e.format().c_str());
    return e.exit_code();
  };
  if (spec.pipe_version != pipe_version)
    return fail(ConfigError("this node runs pipe " + pipe_version + ", the driver pipe " + spec.pipe_version)
                    .hint("install one pipe on a prefix every node mounts (make install PREFIX=...)"));
  const StageKind* kind = Registry::global().find(spec.kind);
  if (!kind) return fail(ConfigError("unknown stage kind '" + spec.kind + "' in " + display_path(spec_path)));
  journal.write("started", {{"restart", 0}});
  auto t0 = std::chrono::steady_clock::now();
  try {
    disk.remove_all(spec.tmp_dir);
    disk.make_dirs(spec.tmp_dir);
    JobContext ctx(spec, journal, disk, progress);
    kind->create()->run(ctx);
    disk.make_dirs(parent_dir(spec.artifact_dir));
    disk.remove_all(spec.artifact_dir);  // a stale folder never published
    disk.rename(spec.tmp_dir, spec.artifact_dir);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    journal.write("done", {{"seconds", seconds}, {"metrics", ctx.metrics_json()}, {"tables", ctx.tables_json()}});
    return 0;
  } catch (const Error& e) {
    try {
      disk.remove_all(spec.tmp_dir);
    } catch (...) {
    }
    return fail(e);
  } catch (const std::exception& e) {
    return fail(Error(e.what()));
  }
}

}  // namespace pipe::cluster
