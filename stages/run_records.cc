#include "stages/run_records.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "engine/config.h"
#include "engine/paths.h"
#include "engine/schema.h"
#include "engine/stage.h"
#include "stages/gradcam.h"
#include "stages/image/dataset.h"
#include "stages/model_io.h"

namespace pipe {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

double number(const json& j, const std::string& key) {
  if (!j.is_object()) return NAN;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : NAN;
}

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    // Counts stored as doubles read as counts.
    double d = v.get<double>();
    char buf[32];
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", d);
    else std::snprintf(buf, sizeof buf, "%.6g", d);
    return buf;
  }
  return v.dump();
}

std::string format_time(double unix_seconds) {
  if (unix_seconds <= 0) return "";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// The dataset an evaluate stage scored: "key" or "key.output" of test_set.
std::optional<image::DatasetView> open_test_set(const Store& store, const json& test_set) {
  if (!test_set.is_object() || !test_set.contains("key") || !test_set["key"].is_string()) return std::nullopt;
  std::string ref = test_set["key"], key = ref, output;
  if (auto dot = ref.find('.'); dot != std::string::npos) key = ref.substr(0, dot), output = ref.substr(dot + 1);
  std::string file = join_path(store.artifact_dir(key), image::dataset_file_name(output));
  if (!fs::exists(file)) return std::nullopt;
  return image::DatasetView::open(file);
}

report::Image sample_image(const image::DatasetView& view, size_t i) {
  report::Image img;
  img.height = view.height(i), img.width = view.width(i), img.channels = view.channels(i);
  const uint8_t* p = view.pixels(i);
  img.pixels.assign(p, p + static_cast<size_t>(img.height) * img.width * img.channels);
  return img;
}

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

// Images per class and split, from the split stage's dataset files.
void data_counts(const Store& store, const RunRecords& rec, report::RunReportInput* in) {
  if (!rec.split) return;
  std::string dir = store.artifact_dir(rec.split->key);
  std::vector<std::string> splits;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".bin") splits.push_back(e.path().stem().string());
  const std::vector<std::string> order{"train", "val", "test"};
  std::sort(splits.begin(), splits.end(), [&](const std::string& a, const std::string& b) {
    auto ia = std::find(order.begin(), order.end(), a) - order.begin();
    auto ib = std::find(order.begin(), order.end(), b) - order.begin();
    return ia != ib ? ia < ib : a < b;
  });
  for (const auto& s : splits) {
    auto view = image::DatasetView::open(join_path(dir, s + ".bin"));
    size_t k = in->split_names.size();
    in->split_names.push_back(s);
    std::vector<long long> per_class(view.classes().size(), 0);
    for (size_t i = 0; i < view.size(); ++i)
      if (view.label(i) >= 0 && static_cast<size_t>(view.label(i)) < per_class.size()) ++per_class[view.label(i)];
    for (size_t c = 0; c < view.classes().size(); ++c) {
      auto it = std::find(in->count_classes.begin(), in->count_classes.end(), view.classes()[c]);
      size_t row = it - in->count_classes.begin();
      if (it == in->count_classes.end()) in->count_classes.push_back(view.classes()[c]), in->counts.emplace_back();
      in->counts[row].resize(splits.size(), 0);
      in->counts[row][k] = per_class[c];
    }
  }
  for (auto& row : in->counts) row.resize(in->split_names.size(), 0);
}

}  // namespace

RunRecords load_run_records(const Store& store, const RunRecord& run) {
  RunRecords r;
  r.run = run;
  r.stages = store.stage_runs(run.id);
  r.train = store.finished_stage(run.id, "train");
  r.evaluate = store.finished_stage(run.id, "evaluate");
  r.split = store.finished_stage(run.id, "split");
  r.clean = store.finished_stage(run.id, "clean");
  auto metrics = [&](const std::optional<StageRunRecord>& s) {
    if (!s) return json::object();
    auto res = store.result(s->key);
    return res && res->metrics.is_object() ? res->metrics : json::object();
  };
  r.train_metrics = metrics(r.train);
  r.eval_metrics = metrics(r.evaluate);
  r.clean_metrics = metrics(r.clean);
  if (r.evaluate) r.eval_tables = store.tables(r.evaluate->key);
  if (!r.eval_tables.is_object()) r.eval_tables = json::object();
  if (r.train) r.epochs = store.epochs(r.train->key);
  return r;
}

namespace {

// A parameter value as YAML flow text: strings bare (the empty one quoted),
// lists and mappings inline.
std::string flow(const json& v) {
  if (v.is_string()) return v.get<std::string>().empty() ? "\"\"" : v.get<std::string>();
  std::string out;
  if (v.is_array()) {
    for (const auto& e : v) out += (out.empty() ? "" : ", ") + flow(e);
    return "[" + out + "]";
  }
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      out += (out.empty() ? "" : ", ") + it.key() + ": " + flow(it.value());
    return "{" + out + "}";
  }
  return v.dump();
}

// A leaf of a stage's parameter tree: its key below the stage, part by part.
struct Leaf {
  std::vector<std::string> key;
  const json* value;
};

// Nested mappings are walked down to their leaves; lists and empty mappings are leaves.
void leaves(std::vector<std::string>& key, const json& v, std::vector<Leaf>* out) {
  if (!v.is_object() || v.empty()) {
    out->push_back({key, &v});
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    key.push_back(it.key());
    leaves(key, it.value(), out);
    key.pop_back();
  }
}

// The schema's default at a key ("optimizer", "adam", "lr"), or nullptr when
// the schema has none: a nested mapping's keys come from its own schema,
// keys inside a free-form value from that value's default.
const json* schema_default(const Schema& schema, const std::vector<std::string>& key) {
  const Schema* s = &schema;
  for (size_t i = 0; i < key.size(); ++i) {
    const Field* f = s->find(key[i]);
    if (!f) return nullptr;
    if (i + 1 == key.size()) return f->default_value.is_null() ? nullptr : &f->default_value;
    if (f->type == FieldType::kMap && f->schema) {
      s = f->schema.get();
      continue;
    }
    const json* d = &f->default_value;
    for (size_t k = i + 1; k < key.size(); ++k) {
      if (!d->is_object() || !d->contains(key[k])) return nullptr;
      d = &(*d)[key[k]];
    }
    return d;
  }
  return nullptr;
}

bool at_default(const StageKind* kind, const Leaf& leaf, long long run_seed) {
  const json& v = *leaf.value;
  // The engine fills a stage's seed with the pipeline's.
  if (kind && kind->uses_seed && leaf.key.size() == 1 && leaf.key[0] == "seed") return v == json(run_seed);
  if (const json* d = kind ? schema_default(kind->schema, leaf.key) : nullptr) return v == *d;
  return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         ((v.is_array() || v.is_object()) && v.empty());
}

}  // namespace

std::map<std::string, std::string> run_parameters(const Store& store, const RunRecord& run, std::string* note,
                                                  std::set<std::string>* defaults) {
  std::map<std::string, std::string> params;
  bool recorded = false;
  for (const auto& s : store.stage_runs(run.id)) {
    if (!s.params.is_object()) continue;
    recorded = true;
    const StageKind* kind = Registry::global().find(s.kind);
    std::vector<std::string> key;
    std::vector<Leaf> found;
    leaves(key, s.params, &found);
    for (const auto& leaf : found) {
      if (leaf.key.empty()) continue;  // a stage without parameters
      std::string name = s.stage_id;
      for (const auto& part : leaf.key) name += "." + part;
      params[name] = flow(*leaf.value);
      if (defaults && at_default(kind, leaf, run.seed)) defaults->insert(name);
    }
  }
  if (!recorded) {
    std::string why;
    params = file_parameters(run, &why);
    if (why.empty())
      why = "parameters read again from " + display_path(run.file) +
            ": the run was recorded before pipe kept them, and the file may have changed since";
    if (note) *note = why;
    return params;
  }
  params["seed"] = std::to_string(run.seed);
  if (note) note->clear();
  return params;
}

std::map<std::string, std::string> file_parameters(const RunRecord& run, std::string* note) {
  std::map<std::string, std::string> params;
  std::string why;
  try {
    if (run.file.empty() || !fs::exists(run.file)) throw Error("the file it ran no longer exists");
    ExpandOptions opt;
    opt.point = run.point;
    if (run.experiment.empty()) {
      // A pipeline run: its overrides came from --set, its name maybe from --name.
      opt.name = run.base_name;
      for (auto it = run.overrides.begin(); it != run.overrides.end(); ++it)
        opt.sets.push_back(parse_set(it.key() + "=" + text(it.value())));
    } else {
      opt.variant = run.variant;
    }
    RunSpec* spec = nullptr;
    std::vector<RunSpec> specs = expand_runs(run.file, opt);
    // An experiment run given --set is named NAME+KEY=VALUE...: its plain
    // name's spec with the recorded overrides (its own among them) applied.
    auto named = [&](const RunSpec& s) {
      return s.name == run.base_name || run.base_name.rfind(s.name + "+", 0) == 0;
    };
    for (auto& s : specs)
      if (named(s) && s.seed == run.seed) spec = &s;
    if (!spec)
      for (auto& s : specs)
        if (named(s)) spec = &s;
    if (!spec) throw Error("the file no longer defines a run named " + run.base_name);
    if (!run.experiment.empty() && spec->name != run.base_name)
      for (auto it = run.overrides.begin(); it != run.overrides.end(); ++it)
        apply_override(spec->pipeline, parse_set(it.key() + "=" + text(it.value())));
    for (const auto& st : spec->pipeline.stages)
      if (st.params.is_map())
        for (const auto& e : st.params.entries()) params[st.id + "." + e.key] = to_flow(e.value);
  } catch (const Error& e) {
    params.clear();
    for (auto it = run.overrides.begin(); it != run.overrides.end(); ++it) params[it.key()] = text(it.value());
    why = "parameters are the recorded overrides only: " + e.message();
  }
  params["seed"] = std::to_string(run.seed);
  if (note) *note = why;
  return params;
}

std::string seed_group(const RunRecord& run) {
  if (!run.experiment.empty())
    return run.experiment + "/" + run.variant + (run.point >= 0 ? "/p" + std::to_string(run.point) : "");
  std::string name = run.base_name.empty() ? run.name : run.base_name;
  auto slash = name.rfind("/seed");
  if (slash != std::string::npos && name.find_first_not_of("0123456789", slash + 5) == std::string::npos)
    name.erase(slash);
  return name;
}

report::CompareRun compare_run(const Store& store, const RunRecord& run) {
  RunRecords rec = load_run_records(store, run);
  report::CompareRun c;
  c.id = run.id;
  c.name = run.name;
  c.experiment = run.experiment;
  c.variant = run.variant;
  c.seed = run.seed;
  c.group = seed_group(run);
  std::string note;
  c.params = run_parameters(store, run, &note, &c.default_params);
  for (const char* k : {"accuracy", "macro_f1", "weighted_f1", "top_k_accuracy", "loss", "ece"})
    c.metrics[k] = number(rec.eval_metrics, k);
  c.metrics["train_seconds"] = number(rec.train_metrics, "seconds");
  c.metrics["epochs"] = number(rec.train_metrics, "epochs");
  c.metrics["images_per_second"] = number(rec.train_metrics, "images_per_second");
  c.metrics["params"] = number(rec.train_metrics, "params");

  const json& confusion = rec.eval_tables.contains("confusion") ? rec.eval_tables["confusion"] : json();
  if (confusion.is_object() && confusion.contains("classes") && confusion.contains("matrix")) {
    c.classes = confusion["classes"].get<std::vector<std::string>>();
    c.confusion = confusion["matrix"].get<report::ConfusionMatrix>();
    c.f1.assign(c.classes.size(), NAN);
    const json& per_class = rec.eval_tables.contains("per_class") ? rec.eval_tables["per_class"] : json();
    if (per_class.is_array())
      for (const auto& row : per_class) {
        auto it = std::find(c.classes.begin(), c.classes.end(), row.value("class", std::string()));
        if (it != c.classes.end()) c.f1[it - c.classes.begin()] = number(row, "f1");
      }
  }
  if (rec.eval_tables.contains("test_set") && rec.eval_tables["test_set"].is_object())
    c.test_set = rec.eval_tables["test_set"].value("key", std::string());
  const json& predictions = rec.eval_tables.contains("predictions") ? rec.eval_tables["predictions"] : json();
  if (predictions.is_array())
    for (const auto& p : predictions) {
      c.correct.push_back(p.value("true", std::string()) == p.value("pred", std::string("\x01")));
      c.sample_paths.push_back(p.value("path", std::string()));
    }
  if (!rec.evaluate) c.note = "no evaluate stage";
  else if (run.status != "done") c.note = "run " + run.status;
  if (!note.empty()) c.note += (c.note.empty() ? "" : "; ") + note;
  return c;
}

report::RunReportInput run_report_input(const Store& store, const RunRecord& run, const ReportOptions& opt) {
  RunRecords rec = load_run_records(store, run);
  report::RunReportInput in;
  in.title = run.name;
  in.run = {{"run", run.id}, {"name", run.name}};
  if (!run.experiment.empty()) in.run.push_back({"experiment", run.experiment});
  if (!run.variant.empty()) in.run.push_back({"variant", run.variant});
  in.run.push_back({"seed", std::to_string(run.seed)});
  // Written by the run's own report stage, the run is still going.
  std::string status = run.status == "running" ? "running (this report was written during the run)" : run.status;
  in.run.push_back({"status", status + (run.error.empty() ? "" : ": " + run.error)});
  in.run.push_back({"file", display_path(run.file)});
  in.run.push_back({"started", format_time(run.started)});
  if (run.finished > run.started) in.run.push_back({"duration", format_seconds(run.finished - run.started)});
  if (!run.command.empty()) in.run.push_back({"command", run.command});

  for (const auto& s : rec.stages)
    in.stages.push_back({s.stage_id, s.kind, s.kind == "report" && s.status == "running" ? "writing this report" : s.status,
                         s.seconds, s.key});
  std::string param_note;
  for (const auto& [k, v] : run_parameters(store, run, &param_note)) in.parameters.push_back({k, v});
  if (!param_note.empty()) in.parameters.push_back({"note", param_note});
  if (run.env.is_object())
    for (auto it = run.env.begin(); it != run.env.end(); ++it) in.environment.push_back({it.key(), text(it.value())});

  for (auto it = rec.clean_metrics.begin(); it != rec.clean_metrics.end(); ++it)
    in.preprocessing.push_back({"clean: " + it.key(), text(it.value())});
  data_counts(store, rec, &in);

  for (const char* k : {"accuracy", "macro_f1", "weighted_f1", "top_k_accuracy", "loss", "ece"})
    in.metrics[k] = number(rec.eval_metrics, k);

  for (const auto& row : rec.epochs) {
    in.history.epoch.push_back(number(row, "epoch"));
    in.history.train_loss.push_back(number(row, "train_loss"));
    in.history.val_loss.push_back(number(row, "val_loss"));
    in.history.train_accuracy.push_back(number(row, "train_accuracy"));
    in.history.val_accuracy.push_back(number(row, "val_accuracy"));
  }
  double best = number(rec.train_metrics, "best_epoch");
  in.history.best_epoch = std::isfinite(best) && best > 0 ? best : -1;

  const json& confusion = rec.eval_tables.contains("confusion") ? rec.eval_tables["confusion"] : json();
  if (confusion.is_object() && confusion.contains("matrix")) {
    in.classes = confusion["classes"].get<std::vector<std::string>>();
    in.confusion = confusion["matrix"].get<report::ConfusionMatrix>();
  }
  if (in.counts.empty() && !in.classes.empty() && rec.eval_tables.contains("test_set")) {
    // No split stage: count the test set the evaluation scored.
    in.split_names = {"test"};
    in.count_classes = in.classes;
    for (const auto& row : in.confusion) {
      long long n = 0;
      for (long long v : row) n += v;
      in.counts.push_back({n});
    }
  }

  // Images: the test set the predictions are in the order of.
  const json& predictions = rec.eval_tables.contains("predictions") ? rec.eval_tables["predictions"] : json();
  std::optional<image::DatasetView> test;
  if (predictions.is_array() && !predictions.empty()) {
    try {
      test = open_test_set(store, rec.eval_tables.value("test_set", json()));
    } catch (const Error&) {
      test.reset();  // a report without images beats no report
    }
    if (test && test->size() != predictions.size()) test.reset();
    if (!predictions[0].value("top", json::array()).empty()) in.top_k = static_cast<int>(predictions[0]["top"].size());
  }
  std::vector<size_t> wrong;
  if (predictions.is_array())
    for (size_t i = 0; i < predictions.size(); ++i)
      if (predictions[i].value("true", "") != predictions[i].value("pred", "")) wrong.push_back(i);
  in.misclassified_total = wrong.size();
  if (test) {
    std::stable_sort(wrong.begin(), wrong.end(), [&](size_t a, size_t b) {
      return predictions[a].value("p", 0.0) > predictions[b].value("p", 0.0);
    });
    for (size_t k = 0; k < wrong.size() && static_cast<int>(k) < opt.gallery; ++k) {
      const json& p = predictions[wrong[k]];
      in.misclassified.push_back({sample_image(*test, wrong[k]),
                                  {report::prediction_caption(p.value("true", ""), p.value("pred", ""), p.value("p", 0.0)),
                                   file_name(p.value("path", ""))},
                                  report::colors::kRed});
    }
    // Samples: the first test image of each class, for as many classes as asked.
    std::vector<size_t> samples;
    std::vector<std::string> seen;
    for (size_t i = 0; i < predictions.size() && static_cast<int>(samples.size()) < opt.samples; ++i) {
      std::string t = predictions[i].value("true", "");
      if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
      seen.push_back(t);
      samples.push_back(i);
    }
    for (size_t i : samples) {
      const json& p = predictions[i];
      report::TopKSample s;
      s.image = sample_image(*test, i);
      s.true_class = p.value("true", "");
      s.caption = file_name(p.value("path", ""));
      for (const auto& t : p.value("top", json::array())) s.top.push_back({t.value("class", ""), t.value("p", 0.0)});
      in.topk.push_back(s);
    }
    if (opt.gradcam && rec.train) {
      try {
        auto model = TrainedModel::load(store.artifact_dir(rec.train->key), opt.threads);
        if (model->info().last_conv_layer.empty()) {
          in.gradcam_note = "Grad-CAM applies to models with a convolution layer; this model has none.";
        } else {
          const auto& classes = model->classes();
          for (size_t i : samples) {
            const json& p = predictions[i];
            auto it = std::find(classes.begin(), classes.end(), p.value("pred", ""));
            if (it == classes.end()) continue;
            GradCam cam = grad_cam(*model, test->pixels(i), static_cast<int>(it - classes.begin()));
            report::GradcamItem g;
            g.image = sample_image(*test, i);
            g.heat = cam.heat;
            g.heat_h = cam.height, g.heat_w = cam.width;
            bool none = std::all_of(cam.heat.begin(), cam.heat.end(), [](float v) { return v <= 0; });
            g.lines = {report::prediction_caption(p.value("true", ""), p.value("pred", ""), p.value("p", 0.0)),
                       none ? "no positive evidence at " + cam.layer : "layer " + cam.layer};
            in.gradcam.push_back(g);
          }
        }
      } catch (const Error& e) {
        in.gradcam_note = "Grad-CAM could not be computed: " + e.message();
        in.gradcam.clear();
      }
    }
  } else if (!in.confusion.empty()) {
    in.gradcam_note = "The test images are not available (their artifact is gone), so there are no image figures.";
  }
  return in;
}

}  // namespace pipe
