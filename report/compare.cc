#include "report/compare.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/error.h"
#include "report/figure.h"

namespace pipe::report {

using json = nlohmann::json;

namespace {

const char* kDash = "\xe2\x80\x94";   // —
const char* kDelta = "\xce\x94 ";     // Δ

json or_null(double v) { return std::isfinite(v) ? json(v) : json(); }

double metric(const CompareRun& r, const std::string& key) {
  auto it = r.metrics.find(key);
  return it == r.metrics.end() ? NAN : it->second;
}

std::string short_key(const std::string& key) { return key.substr(0, 12); }

// ---- building the comparison ------------------------------------------------

// A mapping parameter left unset (null) in one run and given keys in another
// compares key by key: the unset run gets each of those keys as null, at its
// default, instead of one row for the mapping and one per key.
void expand_unset_mappings(std::vector<CompareRun>& runs) {
  std::set<std::string> nested;
  for (const auto& r : runs)
    for (const auto& [k, v] : r.params) nested.insert(k);
  for (auto& r : runs) {
    std::vector<std::string> unset;
    for (const auto& [k, v] : r.params)
      if (v == "null") unset.push_back(k);
    for (const auto& parent : unset) {
      const std::string prefix = parent + ".";
      bool expanded = false;
      for (auto it = nested.lower_bound(prefix); it != nested.end() && it->compare(0, prefix.size(), prefix) == 0;
           ++it) {
        if (r.params.count(*it)) continue;
        r.params[*it] = "null";
        if (r.default_params.count(parent)) r.default_params.insert(*it);
        expanded = true;
      }
      if (expanded) r.params.erase(parent), r.default_params.erase(parent);
    }
  }
}

void compare_params(Comparison& c, const CompareOptions& o) {
  expand_unset_mappings(c.runs);
  std::set<std::string> names;
  for (const auto& r : c.runs)
    for (const auto& [k, v] : r.params) names.insert(k);
  std::vector<std::string> differ, set_same, default_same;
  for (const auto& name : names) {
    std::set<std::string> values;
    bool at_default = true;
    for (const auto& r : c.runs) {
      auto it = r.params.find(name);
      values.insert(it == r.params.end() ? std::string("\x01missing") : it->second);
      at_default = at_default && r.default_params.count(name) > 0;
    }
    (values.size() > 1 ? differ : at_default ? default_same : set_same).push_back(name);
  }
  auto add = [&](const std::vector<std::string>& group, bool differs, bool at_default) {
    for (const auto& n : group) {
      c.param_names.push_back(n);
      c.param_differs.push_back(differs);
      c.param_at_default.push_back(at_default);
    }
  };
  add(differ, true, false);
  if (!o.only_diff) add(set_same, false, false), add(default_same, false, true);
  c.hide_defaults = !o.all;
}

void compare_classes(Comparison& c) {
  for (const auto& r : c.runs)
    for (const auto& name : r.classes)
      if (std::find(c.classes.begin(), c.classes.end(), name) == c.classes.end()) c.classes.push_back(name);
  c.class_f1.assign(c.classes.size(), std::vector<double>(c.runs.size(), NAN));
  for (size_t k = 0; k < c.classes.size(); ++k)
    for (size_t i = 0; i < c.runs.size(); ++i) {
      const auto& r = c.runs[i];
      auto it = std::find(r.classes.begin(), r.classes.end(), c.classes[k]);
      size_t j = it - r.classes.begin();
      if (it != r.classes.end() && j < r.f1.size()) c.class_f1[k][i] = r.f1[j];
    }
}

// Why runs a and b cannot be paired sample by sample ("" when they can).
std::string pairing_problem(const CompareRun& a, const CompareRun& b) {
  for (const CompareRun* r : {&a, &b}) {
    if (r->confusion.empty()) return "run " + r->name + " has no evaluation";
    if (r->correct.empty()) return "run " + r->name + " has no stored test-set predictions";
  }
  if (a.test_set.empty() || b.test_set.empty() || a.test_set != b.test_set)
    return "the runs were evaluated on different test sets (" + (a.test_set.empty() ? "unknown" : short_key(a.test_set)) +
           " vs " + (b.test_set.empty() ? "unknown" : short_key(b.test_set)) + ")";
  if (a.correct.size() != b.correct.size())
    return "the runs scored different numbers of test images (" + std::to_string(a.correct.size()) + " vs " +
           std::to_string(b.correct.size()) + ")";
  if (!a.sample_paths.empty() && !b.sample_paths.empty() && a.sample_paths != b.sample_paths)
    return "the runs' test images are not the same files in the same order";
  return "";
}

void compare_confusion(Comparison& c, const CompareOptions& o) {
  if (c.runs.empty()) return;
  const CompareRun& base = c.runs[0];
  for (size_t i = 1; i < c.runs.size(); ++i) {
    const CompareRun& r = c.runs[i];
    ConfusionDiff d;
    d.run = i, d.against = 0;
    if (base.confusion.empty() || r.confusion.empty()) {
      d.refused = "run " + (base.confusion.empty() ? base.name : r.name) + " has no confusion matrix";
      c.confusion.push_back(d);
      continue;
    }
    // Counts are comparable on the same test set; otherwise compare rates.
    d.fractions = base.test_set.empty() || base.test_set != r.test_set;
    auto na = row_normalized(base.confusion), nb = row_normalized(r.confusion);
    auto index = [](const CompareRun& run, const std::string& name) {
      auto it = std::find(run.classes.begin(), run.classes.end(), name);
      return it == run.classes.end() ? -1 : static_cast<int>(it - run.classes.begin());
    };
    for (const auto& t : c.classes)
      for (const auto& p : c.classes) {
        int at = index(base, t), ap = index(base, p), bt = index(r, t), bp = index(r, p);
        double a = 0, b = 0;
        if (at >= 0 && ap >= 0) a = d.fractions ? na[at][ap] : static_cast<double>(base.confusion[at][ap]);
        if (bt >= 0 && bp >= 0) b = d.fractions ? nb[bt][bp] : static_cast<double>(r.confusion[bt][bp]);
        if (a != b) d.cells.push_back({t, p, a, b});
      }
    std::stable_sort(d.cells.begin(), d.cells.end(), [](const ConfusionChange& x, const ConfusionChange& y) {
      return std::fabs(x.delta()) > std::fabs(y.delta());
    });
    if (static_cast<int>(d.cells.size()) > o.max_confusion_changes) d.cells.resize(o.max_confusion_changes);
    c.confusion.push_back(d);
  }
}

void compare_paired(Comparison& c, const CompareOptions& o) {
  for (size_t i = 1; i < c.runs.size(); ++i) {
    PairedTest t;
    t.run = i, t.against = 0;
    t.refused = pairing_problem(c.runs[0], c.runs[i]);
    if (t.refused.empty()) {
      t.done = true;
      t.n = static_cast<long long>(c.runs[i].correct.size());
      t.mcnemar = mcnemar(c.runs[0].correct, c.runs[i].correct);
      t.bootstrap = paired_bootstrap(c.runs[0].correct, c.runs[i].correct, o.resamples, o.seed);
    }
    c.paired.push_back(t);
  }
}

void compare_seeds(Comparison& c) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const std::string& g = c.runs[i].group.empty() ? c.runs[i].name : c.runs[i].group;
    if (!groups.count(g)) order.push_back(g);
    groups[g].push_back(i);
  }
  for (const auto& g : order) {
    if (groups[g].size() < 2) continue;
    SeedGroup sg;
    sg.group = g;
    sg.runs = groups[g];
    for (const auto& m : compare_metrics()) {
      std::vector<double> values;
      for (size_t i : sg.runs)
        if (double v = metric(c.runs[i], m.key); std::isfinite(v)) values.push_back(v);
      if (!values.empty()) sg.metrics[m.key] = mean_std(values);
    }
    c.seed_groups.push_back(sg);
  }
}

// ---- rendering --------------------------------------------------------------

std::string cell_text(double v, int decimals) { return std::isfinite(v) ? format_number(v, decimals) : kDash; }

std::string p_value_text(double p) {
  if (!std::isfinite(p)) return kDash;
  if (p < 1e-4) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1e", p);
    return buf;
  }
  return format_number(p, 4);
}

std::vector<std::string> run_labels(const Comparison& c) {
  std::vector<std::string> labels;
  for (const auto& r : c.runs) labels.push_back(r.name.empty() ? r.id : r.name);
  return labels;
}

DataTable runs_table(const Comparison& c) {
  DataTable t;
  t.header = {"run", "id", "experiment", "variant", "seed", "test set", "note"};
  for (const auto& r : c.runs)
    t.add({r.name, r.id, r.experiment.empty() ? kDash : r.experiment, r.variant.empty() ? kDash : r.variant,
           Cell::integer(r.seed), r.test_set.empty() ? kDash : short_key(r.test_set), r.note});
  return t;
}

DataTable params_table(const Comparison& c) {
  DataTable t;
  t.header = {"parameter"};
  for (const auto& l : run_labels(c)) t.header.push_back(l);
  for (size_t k = 0; k < c.param_names.size(); ++k) {
    if (c.hide_defaults && c.param_at_default[k]) continue;
    Cell name(c.param_names[k]);
    if (c.param_differs[k]) name.tone = Tone::kStrong;
    std::vector<Cell> row{name};
    for (const auto& r : c.runs) {
      auto it = r.params.find(c.param_names[k]);
      Cell v(it == r.params.end() ? kDash : it->second);
      if (!c.param_differs[k]) v.tone = Tone::kMuted;
      row.push_back(v);
    }
    t.add(row);
  }
  return t;
}

// Values for every run, then Δ against the first for each other run.
std::vector<std::string> value_delta_header(const Comparison& c, const std::string& first) {
  std::vector<std::string> h{first};
  auto labels = run_labels(c);
  for (const auto& l : labels) h.push_back(l);
  for (size_t i = 1; i < labels.size(); ++i) h.push_back(kDelta + labels[i]);
  return h;
}

DataTable metrics_table(const Comparison& c) {
  DataTable t;
  t.header = value_delta_header(c, "metric");
  for (const auto& m : compare_metrics()) {
    std::vector<Cell> row{m.label};
    bool any = false;
    for (const auto& r : c.runs) {
      double v = metric(r, m.key);
      any |= std::isfinite(v);
      row.push_back(Cell::number(v, m.decimals));
    }
    if (!any) continue;
    double base = c.runs.empty() ? NAN : metric(c.runs[0], m.key);
    for (size_t i = 1; i < c.runs.size(); ++i)
      row.push_back(Cell::delta(metric(c.runs[i], m.key) - base, m.decimals, m.higher_is_better));
    t.add(row);
  }
  return t;
}

DataTable per_class_table(const Comparison& c) {
  DataTable t;
  t.header = value_delta_header(c, "class");
  for (size_t k = 0; k < c.classes.size(); ++k) {
    std::vector<Cell> row{c.classes[k]};
    for (size_t i = 0; i < c.runs.size(); ++i) row.push_back(Cell::number(c.class_f1[k][i]));
    for (size_t i = 1; i < c.runs.size(); ++i)
      row.push_back(Cell::delta(c.class_f1[k][i] - c.class_f1[k][0], 4, true, 0.005));
    t.add(row);
  }
  return t;
}

DataTable confusion_table(const Comparison& c, const ConfusionDiff& d) {
  auto labels = run_labels(c);
  DataTable t;
  t.header = {"true class", "predicted", labels[d.against], labels[d.run], kDelta + std::string("(") + labels[d.run] + ")"};
  for (const auto& x : d.cells) {
    // More on the diagonal is better, more off it worse.
    bool diagonal = x.truth == x.pred;
    int decimals = d.fractions ? 3 : 0;
    Cell delta = Cell::delta(x.delta(), decimals, diagonal);
    t.add({x.truth, x.pred, Cell::number(x.a, decimals), Cell::number(x.b, decimals), delta});
  }
  return t;
}

DataTable paired_table(const Comparison& c) {
  auto labels = run_labels(c);
  DataTable t;
  t.header = {"run", "against", "n", "b (only against right)", "c (only run right)", "McNemar p",
              "accuracy difference", "95% CI (bootstrap)"};
  for (const auto& p : c.paired) {
    if (!p.done) continue;
    Cell pv(p_value_text(p.mcnemar.p_value));
    pv.numeric = true;
    pv.value = p.mcnemar.p_value;
    if (p.mcnemar.p_value < 0.05) pv.tone = Tone::kStrong;
    Cell ci("[" + cell_text(p.bootstrap.lo, 4) + ", " + cell_text(p.bootstrap.hi, 4) + "]");
    ci.numeric = true;
    ci.value = json::array({or_null(p.bootstrap.lo), or_null(p.bootstrap.hi)});
    t.add({labels[p.run], labels[p.against], Cell::integer(p.n), Cell::integer(p.mcnemar.b),
           Cell::integer(p.mcnemar.c), pv, Cell::delta(p.bootstrap.difference, 4, true), ci});
  }
  return t;
}

DataTable seeds_table(const Comparison& c) {
  DataTable t;
  t.header = {"variant", "runs"};
  std::vector<const MetricRow*> shown;
  for (const auto& m : compare_metrics()) {
    bool any = false;
    for (const auto& g : c.seed_groups) any |= g.metrics.count(m.key) > 0;
    if (any && (m.key == "accuracy" || m.key == "macro_f1" || m.key == "loss" || m.key == "top_k_accuracy")) {
      shown.push_back(&m);
      t.header.push_back(m.label);
    }
  }
  for (const auto& g : c.seed_groups) {
    std::vector<Cell> row{g.group, Cell::integer(static_cast<long long>(g.runs.size()))};
    for (const MetricRow* m : shown) {
      auto it = g.metrics.find(m->key);
      row.push_back(it == g.metrics.end() ? Cell::number(NAN)
                                          : Cell::mean_std(it->second.mean, it->second.std, it->second.n, m->decimals));
    }
    t.add(row);
  }
  return t;
}

std::string heading(const std::string& title, TableFormat f, bool color) {
  if (f == TableFormat::kMarkdown) return "## " + title + "\n\n";
  return (color ? "\x1b[1m" + title + "\x1b[0m" : title) + "\n";
}

std::string note(const std::string& text, TableFormat f) {
  return (f == TableFormat::kMarkdown ? "> " : "  ") + text + "\n" + (f == TableFormat::kMarkdown ? "\n" : "");
}

// CSV: one table, a `section` column tells parameters, metrics and classes apart.
std::string render_csv_comparison(const Comparison& c) {
  DataTable t;
  t.header = {"section", "name"};
  auto labels = run_labels(c);
  for (const auto& l : labels) t.header.push_back(l);
  for (size_t i = 1; i < labels.size(); ++i) t.header.push_back("delta " + labels[i]);
  auto pad = [&](std::vector<Cell> row) {
    row.resize(t.header.size());
    return row;
  };
  DataTable params = params_table(c), metrics = metrics_table(c), classes = per_class_table(c);
  for (auto& r : params.rows) {
    r.insert(r.begin(), Cell("parameter"));
    t.add(pad(r));
  }
  for (auto& r : metrics.rows) {
    r.insert(r.begin(), Cell("metric"));
    t.add(pad(r));
  }
  for (auto& r : classes.rows) {
    r.insert(r.begin(), Cell("f1"));
    t.add(pad(r));
  }
  return render_csv(t);
}

}  // namespace

const std::vector<MetricRow>& compare_metrics() {
  static const std::vector<MetricRow> rows{
      {"accuracy", "accuracy", 4, true},
      {"macro_f1", "macro F1", 4, true},
      {"weighted_f1", "weighted F1", 4, true},
      {"top_k_accuracy", "top-k accuracy", 4, true},
      {"loss", "test loss", 4, false},
      {"ece", "calibration error", 4, false},
      {"train_seconds", "train time (s)", 1, false},
      {"epochs", "epochs", 0, true},
      {"images_per_second", "images/s (train)", 0, true},
      {"params", "parameters", 0, false},
  };
  return rows;
}

size_t hidden_parameters(const Comparison& c) {
  return c.hide_defaults ? std::count(c.param_at_default.begin(), c.param_at_default.end(), true) : 0;
}

Comparison compare_runs(std::vector<CompareRun> runs, const CompareOptions& o) {
  if (runs.empty()) throw ConfigError("nothing to compare").hint("give two or more runs, or an experiment file");
  for (const auto& r : runs)
    if (!r.correct.empty() && !r.sample_paths.empty() && r.correct.size() != r.sample_paths.size())
      throw Error("run " + r.name + ": " + std::to_string(r.correct.size()) + " predictions for " +
                  std::to_string(r.sample_paths.size()) + " test images");
  Comparison c;
  c.runs = std::move(runs);
  compare_params(c, o);
  compare_classes(c);
  compare_confusion(c, o);
  compare_paired(c, o);
  compare_seeds(c);
  return c;
}

json comparison_json(const Comparison& c) {
  json j;
  j["runs"] = json::array();
  for (const auto& r : c.runs)
    j["runs"].push_back({{"id", r.id}, {"name", r.name}, {"experiment", r.experiment}, {"variant", r.variant},
                         {"seed", r.seed}, {"test_set", r.test_set.empty() ? json() : json(r.test_set)},
                         {"note", r.note.empty() ? json() : json(r.note)}});
  j["parameters"] = json::array();
  for (size_t k = 0; k < c.param_names.size(); ++k) {
    json values = json::array();
    for (const auto& r : c.runs) {
      auto it = r.params.find(c.param_names[k]);
      values.push_back(it == r.params.end() ? json() : json(it->second));
    }
    j["parameters"].push_back({{"name", c.param_names[k]},
                               {"values", values},
                               {"differs", bool(c.param_differs[k])},
                               {"at_default", bool(c.param_at_default[k])}});
  }
  j["metrics"] = json::array();
  for (const auto& m : compare_metrics()) {
    json values = json::array(), delta = json::array();
    double base = c.runs.empty() ? NAN : metric(c.runs[0], m.key);
    for (size_t i = 0; i < c.runs.size(); ++i) {
      double v = metric(c.runs[i], m.key);
      values.push_back(or_null(v));
      delta.push_back(i == 0 ? json() : or_null(v - base));
    }
    j["metrics"].push_back({{"name", m.key}, {"values", values}, {"delta", delta}});
  }
  j["per_class"] = json::array();
  for (size_t k = 0; k < c.classes.size(); ++k) {
    json f1 = json::array(), delta = json::array();
    for (size_t i = 0; i < c.runs.size(); ++i) {
      f1.push_back(or_null(c.class_f1[k][i]));
      delta.push_back(i == 0 ? json() : or_null(c.class_f1[k][i] - c.class_f1[k][0]));
    }
    j["per_class"].push_back({{"class", c.classes[k]}, {"f1", f1}, {"delta", delta}});
  }
  j["confusion_difference"] = json::array();
  for (const auto& d : c.confusion) {
    json cells = json::array();
    for (const auto& x : d.cells)
      cells.push_back({{"true", x.truth}, {"pred", x.pred}, {"a", x.a}, {"b", x.b}, {"delta", x.delta()}});
    j["confusion_difference"].push_back({{"run", c.runs[d.run].name}, {"against", c.runs[d.against].name},
                                         {"unit", d.fractions ? "fraction" : "count"}, {"cells", cells},
                                         {"refused", d.refused.empty() ? json() : json(d.refused)}});
  }
  auto mcnemar_json = [](const PairedTest& p) -> json {
    if (!p.done) return nullptr;
    return {{"p_value", p.mcnemar.p_value}, {"b", p.mcnemar.b}, {"c", p.mcnemar.c},
            {"both_right", p.mcnemar.both_right}, {"both_wrong", p.mcnemar.both_wrong},
            {"test", "exact binomial, two-sided"}};
  };
  auto bootstrap_json = [](const PairedTest& p) -> json {
    if (!p.done) return nullptr;
    return {{"difference", or_null(p.bootstrap.difference)},
            {"ci95", {or_null(p.bootstrap.lo), or_null(p.bootstrap.hi)}},
            {"resamples", p.bootstrap.resamples}, {"seed", p.bootstrap.seed}};
  };
  j["paired"] = json::array();
  for (const auto& p : c.paired)
    j["paired"].push_back({{"run", c.runs[p.run].name}, {"against", c.runs[p.against].name},
                           {"test_set", p.done ? json(c.runs[p.run].test_set) : json()},
                           {"n", p.done ? json(p.n) : json()}, {"mcnemar", mcnemar_json(p)},
                           {"bootstrap", bootstrap_json(p)},
                           {"refused", p.done ? json() : json(p.refused)}});
  if (!c.paired.empty()) {
    j["mcnemar"] = mcnemar_json(c.paired[0]);
    j["bootstrap"] = bootstrap_json(c.paired[0]);
    j["paired_refused"] = c.paired[0].done ? json() : json(c.paired[0].refused);
  } else {
    j["mcnemar"] = j["bootstrap"] = nullptr;
    j["paired_refused"] = "a single run has nothing to be paired with";
  }
  j["seeds"] = json::array();
  for (const auto& g : c.seed_groups) {
    json names = json::array(), metrics = json::object();
    for (size_t i : g.runs) names.push_back(c.runs[i].name);
    for (const auto& [k, ms] : g.metrics)
      metrics[k] = {{"mean", or_null(ms.mean)}, {"std", or_null(ms.std)}, {"n", ms.n}};
    j["seeds"].push_back({{"group", g.group}, {"n", g.runs.size()}, {"runs", names}, {"metrics", metrics}});
  }
  return j;
}

std::string render_comparison(const Comparison& c, TableFormat f, bool color) {
  if (f == TableFormat::kJson) return comparison_json(c).dump(2) + "\n";
  if (f == TableFormat::kCsv) return render_csv_comparison(c);
  bool md = f == TableFormat::kMarkdown;
  auto table = [&](const DataTable& t) { return (md ? render_markdown(t) : render_text(t, color)) + "\n"; };
  std::string out;
  out += heading("Runs", f, color) + table(runs_table(c));

  bool any_differ = std::find(c.param_differs.begin(), c.param_differs.end(), true) != c.param_differs.end();
  out += heading(any_differ ? "Parameters (those that differ first)" : "Parameters", f, color);
  size_t hidden = hidden_parameters(c);
  if (c.param_names.size() == hidden)
    out += note(c.runs.size() > 1 ? "no parameter differs between these runs" : "no parameters recorded", f);
  else
    out += md ? render_markdown(params_table(c)) + "\n" : render_text(params_table(c), color);
  if (hidden == 1)
    out += "(1 parameter at its default and equal in all runs is hidden; --all shows it)\n";
  else if (hidden > 1)
    out += "(" + std::to_string(hidden) +
           " parameters at their defaults and equal in all runs are hidden; --all shows them)\n";
  out += "\n";

  out += heading("Metrics", f, color) + table(metrics_table(c));

  if (!c.classes.empty()) out += heading("Per-class F1", f, color) + table(per_class_table(c));

  auto labels = run_labels(c);
  for (const auto& d : c.confusion) {
    out += heading("Confusion-matrix difference: " + labels[d.run] + " against " + labels[d.against], f, color);
    if (!d.refused.empty()) {
      out += note(d.refused, f) + "\n";
      continue;
    }
    if (d.fractions)
      out += note("different test sets: cells compare the share of each true class, not counts", f);
    if (d.cells.empty())
      out += note("the confusion matrices are identical", f) + "\n";
    else
      out += table(confusion_table(c, d));
  }

  if (!c.paired.empty()) {
    out += heading("Paired tests on the same test set", f, color);
    DataTable t = paired_table(c);
    if (!t.empty()) {
      const PairedTest* first = nullptr;
      for (const auto& p : c.paired)
        if (p.done && !first) first = &p;
      out += note("McNemar: exact two-sided binomial test on the test images exactly one run got right; "
                  "CI: paired bootstrap of the accuracy difference (run minus against, " +
                      std::to_string(first->bootstrap.resamples) + " resamples, seed " +
                      std::to_string(first->bootstrap.seed) + ")",
                  f);
      if (!md) out += "\n";
      out += table(t);
    }
    for (const auto& p : c.paired)
      if (!p.done) out += note("not tested: " + labels[p.run] + " against " + labels[p.against] + ": " + p.refused, f);
    out += md ? "" : "\n";
  }

  if (!c.seed_groups.empty()) out += heading("Across seeds (mean ± sample std)", f, color) + table(seeds_table(c));
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

}  // namespace pipe::report
