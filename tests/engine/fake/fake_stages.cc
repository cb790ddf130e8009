#include "engine/posix.h"  // first: see posix.h
#include "tests/engine/fake/fake_stages.h"

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "engine/paths.h"
#include "engine/stage.h"
#include "engine/store.h"

namespace pipe::fake {

namespace {

std::mutex count_mu;
std::map<std::string, int> counts;

void count(const std::string& kind) {
  std::lock_guard<std::mutex> lock(count_mu);
  ++counts[kind];
}

std::string read_input(StageContext& ctx, const std::string& param) {
  InputRef in = ctx.input(param);
  return ctx.disk().read_file(
      join_path(in.dir, (in.output.empty() ? std::string("out") : in.output) + ".txt"));
}

// source: copies a file into its artifact.
class Source : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("source");
    std::string text = ctx.disk().read_file(ctx.params()["path"].get<std::string>());
    ctx.disk().write_file(ctx.output_path("out.txt"), text);
    ctx.metric("bytes", static_cast<double>(text.size()));
  }
};

// append: its input plus a suffix (and the seed when it uses one).
class Append : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("append");
    std::string text = read_input(ctx, "input") + ctx.params()["suffix"].get<std::string>();
    if (ctx.params()["with_seed"].get<bool>()) text += std::to_string(ctx.seed());
    for (const auto& extra : ctx.inputs("also")) {
      (void)extra;
      text += "+";
    }
    ctx.disk().write_file(ctx.output_path("out.txt"), text);
    ctx.table("lines", nlohmann::json::array({text}));
  }
};

// fork: two outputs, left and right.
class Fork : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("fork");
    std::string text = read_input(ctx, "input");
    ctx.disk().write_file(ctx.output_path("left.txt"), text + "<");
    ctx.disk().write_file(ctx.output_path("right.txt"), text + ">");
  }
};

// score: fake evaluation metrics and a per-epoch history.
class Score : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("score");
    std::string text = read_input(ctx, "input");
    int epochs = ctx.params()["epochs"].get<int>();
    for (int e = 1; e <= epochs; ++e)
      ctx.epoch({{"epoch", e},
                 {"train_loss", 1.0 / e},
                 {"train_accuracy", 0.5},
                 {"val_loss", 1.0 / e},
                 {"val_accuracy", 0.5},
                 {"lr", 0.001},
                 {"seconds", 0.01}});
    ctx.metric("accuracy", static_cast<double>(text.size() % 10) / 10.0);
    ctx.metric("loss", 0.25);
    ctx.disk().write_file(ctx.output_path("out.txt"), text);
  }
};

// fail: throws a stage error (with a hint and a position when given), or a
// plain std::runtime_error.
class Fail : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("fail");
    const auto& p = ctx.params();
    if (p["plain"].get<bool>()) throw std::runtime_error(p["message"].get<std::string>());
    Error e(p["message"].get<std::string>());
    if (!p["hint"].get<std::string>().empty()) e.hint(p["hint"].get<std::string>()).at(ctx.mark("/hint"));
    throw e;
  }
};

// warmstart: its input's text after what it starts from — a file's text, or
// the text of an append stage of another run (as train's init_from).
class Warmstart : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("warmstart");
    std::string from = ctx.params()["init_from"].get<std::string>();
    std::string start = names_file(from) ? ctx.disk().read_file(from)
                                         : ctx.disk().read_file(join_path(ctx.run_artifact(from, "append").dir, "out.txt"));
    ctx.disk().write_file(ctx.output_path("out.txt"), start + "|" + read_input(ctx, "input"));
  }
};

// sleep: waits, then passes its input on (for lock and parallelism tests).
class Sleep : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("sleep");
    // Wall-clock start and end, so tests can see whether two stages overlapped.
    ctx.metric("started", now_seconds());
    std::this_thread::sleep_for(std::chrono::duration<double>(ctx.params()["seconds"].get<double>()));
    std::string text = ctx.has_input("input") ? read_input(ctx, "input") : "";
    ctx.disk().write_file(ctx.output_path("out.txt"), text + ctx.params()["tag"].get<std::string>() + ".");
    ctx.metric("finished", now_seconds());
  }
};

// crash: SIGKILLs its own process after writing half its output, if the
// marker file exists (removing it first, so the next attempt succeeds).
// Records metric resumed = 1 when a killed attempt left its checkpoint.
class Crash : public Stage {
 public:
  void run(StageContext& ctx) override {
    count("crash");
    std::string marker = ctx.params()["marker"].get<std::string>();
    std::string text = read_input(ctx, "input");
    // A checkpoint in the work folder, as training keeps one per epoch: a
    // later attempt at the same key finds it.
    std::string checkpoint = join_path(ctx.work_dir(), "checkpoint");
    FileStat st;
    ctx.metric("resumed", ctx.disk().stat(checkpoint, &st) ? 1 : 0);
    ctx.disk().write_file(checkpoint, "epoch 1");
    ctx.disk().write_file(ctx.output_path("half.txt"), text);
    if (::access(marker.c_str(), F_OK) == 0) {
      ::unlink(marker.c_str());
      ::kill(::getpid(), SIGKILL);
    }
    ctx.disk().write_file(ctx.output_path("out.txt"), text + "!");
  }
};

template <typename T>
std::function<std::unique_ptr<Stage>()> make() {
  return [] { return std::make_unique<T>(); };
}

}  // namespace

int runs_of(const char* kind) {
  std::lock_guard<std::mutex> lock(count_mu);
  return counts[kind];
}

void reset_counts() {
  std::lock_guard<std::mutex> lock(count_mu);
  counts.clear();
}

void register_fake_stages() {
  Registry& r = Registry::global();
  r.add({"source",
         1,
         "copies a file",
         Schema{{required(file("path", "the file to copy"))}},
         {},
         false,
         make<Source>()});
  r.add({"append",
         1,
         "appends a suffix",
         Schema{{required(input("input", "upstream")), string_field("suffix", "", "text to append"),
                 boolean("with_seed", false, "append the seed"),
                 list_of("also", input("also", "extra inputs"), nlohmann::json::array(), "extra inputs")}},
         {},
         true,
         make<Append>()});
  r.add({"fork",
         1,
         "two outputs",
         Schema{{required(input("input", "upstream"))}},
         {"left", "right"},
         false,
         make<Fork>()});
  r.add({"score",
         1,
         "fake metrics",
         Schema{{required(input("input", "upstream")), at_least(integer("epochs", 2, "epochs"), 1)}},
         {},
         false,
         make<Score>()});
  r.add({"fail",
         1,
         "always fails",
         Schema{{input("input", "upstream"), string_field("message", "boom", "error text"),
                 string_field("hint", "", "what to do; the error then points at this key"),
                 boolean("plain", false, "throw a std::runtime_error instead of a pipe::Error")}},
         {},
         false,
         make<Fail>()});
  r.add({"sleep",
         1,
         "waits",
         Schema{{input("input", "upstream"), number("seconds", 0.1, "how long"),
                 string_field("tag", "", "text that tells otherwise equal stages apart")}},
         {},
         false,
         make<Sleep>()});
  r.add({"crash",
         1,
         "kills its process",
         Schema{{required(input("input", "upstream")),
                 required(string_field("marker", nullptr, "marker file"))}},
         {},
         false,
         make<Crash>()});
  r.add({"warmstart",
         1,
         "starts from a file or another run",
         Schema{{required(input("input", "upstream")),
                 required(file_or_run("init_from", "append", "a run (id, prefix or name) or a file to start from"))}},
         {},
         false,
         make<Warmstart>()});
}

}  // namespace pipe::fake

namespace pipe {
void register_builtin_stages() { fake::register_fake_stages(); }
}  // namespace pipe
