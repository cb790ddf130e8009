// pipe runs, pipe show RUN, pipe gc.
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "engine/cli.h"
#include "engine/error.h"
#include "engine/lock.h"
#include "engine/paths.h"
#include "engine/run_view.h"
#include "engine/table.h"

namespace pipe {

using json = nlohmann::json;

namespace {

std::unique_ptr<Store> open_existing(const Args& args) { return Store::open_existing(args.results_dir()); }

std::string num(const json& v, int decimals = 4) {
  return v.is_number() ? fixed(v.get<double>(), decimals) : "-";
}

// Counts stored as floats (images=17318) print as integers, rates with four decimals.
std::string metric_text(const json& v) {
  if (!v.is_number_float()) return v.dump();
  double x = v.get<double>();
  return std::isfinite(x) && std::fabs(x) < 1e15 && x == std::round(x) ? fixed(x, 0) : fixed(x, 4);
}

std::string when(double t) {
  std::time_t tt = static_cast<std::time_t>(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::localtime(&tt));
  return buf;
}

int cmd_runs(const Args& args) {
  std::string format = args.choice("format", {"table", "json", "csv"});
  auto store = open_existing(args);
  json all = json::array();
  Table t({"id", "name", "experiment", "status", "accuracy", "macro_f1", "loss", "started"});
  for (const auto& r : store->runs()) {
    json s = run_summary(*store, r);
    all.push_back(s);
    t.add({r.id, r.name, r.experiment.empty() ? "-" : r.experiment, r.status, num(s["metrics"]["accuracy"]),
           num(s["metrics"]["macro_f1"]), num(s["metrics"]["loss"]), when(r.started)});
  }
  if (format == "json")
    std::printf("%s\n", ordered(all, kRunSummaryKeys).dump(2).c_str());
  else if (format == "csv")
    std::fputs(t.csv().c_str(), stdout);
  else
    std::fputs(t.text().c_str(), stdout);
  return 0;
}

int cmd_show(const Args& args) {
  std::string format = args.choice("format", {"table", "json"});
  auto store = open_existing(args);
  RunRecord run = store->find_run(args.positional()[0]);
  json d = run_detail(*store, run);
  if (format == "json") {
    std::printf("%s\n", ordered(d, kRunDetailKeys).dump(2).c_str());
    return 0;
  }
  std::string out = "run      " + run.id + "  " + run.name + "\nstatus   " + run.status + "\n";
  if (!run.error.empty()) out += "error    " + run.error + "\n";
  if (!run.error_hint.empty()) out += "         " + run.error_hint + "\n";
  out += "file     " + display_path(run.file) + "\nstarted  " + when(run.started) + "\n";
  if (!run.overrides.empty()) {
    out += "set     ";
    for (auto it = run.overrides.begin(); it != run.overrides.end(); ++it)
      out += " " + it.key() + "=" + it.value().get<std::string>();
    out += "\n";
  }
  Table stages({"stage", "kind", "status", "seconds", "key", "metrics"});
  for (const auto& s : d["stages"]) {
    std::string metrics;
    if (s["metrics"].is_object())
      for (auto it = s["metrics"].begin(); it != s["metrics"].end(); ++it) {
        if (metrics.size() > 70) {
          metrics += " ...";
          break;
        }
        metrics += (metrics.empty() ? "" : " ") + it.key() + "=" + metric_text(it.value());
      }
    stages.add({s["id"], s["kind"], s["status"], fixed(s["seconds"].get<double>(), 2),
                s["key"].get<std::string>().substr(0, 12), metrics});
  }
  out += "\n" + stages.text();
  if (!d["epochs"].empty()) {
    Table epochs({"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"});
    for (const auto& e : d["epochs"])
      epochs.add({e["epoch"].dump(), num(e["train_loss"]), num(e["train_accuracy"]), num(e["val_loss"]),
                  num(e["val_accuracy"]), num(e["lr"], 6), num(e["seconds"], 2)});
    out += "\n" + epochs.text();
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

// A deleted run's report, results/reports/<name>/: its files (not the
// folders of longer names under it), then the folders left empty.
void remove_report(const std::string& results, const std::string& name, Disk& disk) {
  namespace fs = std::filesystem;
  const fs::path reports = fs::path(join_path(results, "reports"));
  fs::path dir = reports / name;
  if (!fs::is_directory(dir)) return;
  for (const auto& f : fs::directory_iterator(dir))
    if (!f.is_directory()) disk.remove_all(f.path().string());
  for (; dir != reports && fs::is_directory(dir) && fs::is_empty(dir); dir = dir.parent_path())
    disk.remove_all(dir.string());
}

int cmd_gc(const Args& args) {
  int keep = args.has("keep") ? args.at_least("keep", 1, 1,
                                               "the latest runs kept per name; to drop every run, delete the "
                                               "results folder")
                               : -1;
  std::string dir = args.results_dir();
  ResultsLock lock(dir, args.get_double("wait", 0));
  auto store = open_existing(args);
  store->mark_interrupted(/*holding_lock=*/true);
  RealDisk disk;
  int dropped_runs = 0;
  if (keep >= 0) {
    std::map<std::string, std::vector<RunRecord>> by_name;
    for (const auto& r : store->runs()) by_name[r.base_name].push_back(r);
    std::vector<std::string> doomed;
    for (auto& [name, list] : by_name)
      for (size_t i = 0; i + keep < list.size(); ++i) {
        doomed.push_back(list[i].id);
        remove_report(dir, list[i].name, disk);
      }
    store->delete_runs(doomed);
    dropped_runs = static_cast<int>(doomed.size());
  }
  std::set<std::string> referenced = store->referenced_keys();
  int dropped = 0;
  int64_t bytes = 0;
  for (const auto& key : store->result_keys())
    if (!referenced.count(key)) {
      store->drop_result(key);
      ++dropped;
    }
  std::string artifacts = join_path(dir, "artifacts");
  if (std::filesystem::exists(artifacts))
    for (const auto& name : disk.list_dir(artifacts)) {
      if (store->has_result(name)) continue;
      std::string path = join_path(artifacts, name);
      for (auto& f : std::filesystem::recursive_directory_iterator(path))
        if (f.is_regular_file()) bytes += static_cast<int64_t>(f.file_size());
      disk.remove_all(path);
    }
  for (const char* scratch : {"tmp", "work"}) {
    std::string path = join_path(dir, scratch);
    if (!std::filesystem::exists(path)) continue;
    for (const auto& name : disk.list_dir(path)) {
      // work/<key> is kept while a run of that key may resume.
      if (std::string(scratch) == "work" && referenced.count(name) && !store->has_result(name)) continue;
      disk.remove_all(join_path(path, name));
    }
  }
  std::printf("gc: removed %d run%s, %d artifact%s (%.1f MB)\n", dropped_runs, dropped_runs == 1 ? "" : "s",
              dropped, dropped == 1 ? "" : "s", bytes / 1e6);
  return 0;
}

}  // namespace

void register_inspect_commands() {
  register_command({"runs",
                    "[--format table|json|csv]",
                    "one line per run: id, name, status, main metrics",
                    {"format"},
                    {},
                    0,
                    0,
                    cmd_runs});
  register_command({"show",
                    "RUN [--format table|json]",
                    "a run's stages (ran|cached|failed|skipped), time, cache key, metrics, epochs",
                    {"format"},
                    {},
                    1,
                    1,
                    cmd_show});
  register_command(
      {"gc",
       "[--keep N] [--wait SECONDS]",
       "drop artifacts no run references (with --keep N ≥ 1: all but the N latest runs of each name, and "
       "their reports, first)",
       {"keep", "wait"},
       {},
       0,
       0,
       cmd_gc});
}

}  // namespace pipe
