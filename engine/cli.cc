#include "engine/cli.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/error.h"
#include "engine/schema.h"
#include "engine/stage.h"

namespace pipe {

namespace {

std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}

const std::vector<std::string> kGlobalOptions = {"results"};
const char* const kGlobalHelp = "every command takes --results DIR (default $PIPE_RESULTS or ./results)\n";

const Command* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

// How a command's usage line spells an option: "--jobs N", or "--NAME VALUE".
std::string option_usage(const std::string& command, const std::string& name) {
  const std::string opt = "--" + name + " ";
  if (const Command* c = find_command(command)) {
    size_t at = c->usage.find(opt);
    if (at != std::string::npos) {
      size_t end = c->usage.find_first_of("] ", at + opt.size());
      return c->usage.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
  }
  return name == "results" ? "--results DIR" : opt + "VALUE";
}

void print_help() {
  std::string out = "usage: pipe COMMAND [ARGS]\n\ncommands:\n";
  for (const auto& c : commands()) {
    std::string head = "  pipe " + c.name + " " + c.usage;
    out += head + "\n      " + c.summary + "\n";
  }
  out += std::string("\n") + kGlobalHelp;
  std::fputs(out.c_str(), stdout);
}

}  // namespace

void register_run_commands();
void register_inspect_commands();

void register_engine_commands() {
  register_run_commands();
  register_inspect_commands();
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

const std::vector<std::string>& Args::all(const std::string& name) const {
  static const std::vector<std::string> none;
  auto it = values_.find(name);
  return it == values_.end() ? none : it->second;
}

int Args::get_int(const std::string& name, int fallback) const {
  if (!has(name)) return fallback;
  std::string v = get(name);
  char* end = nullptr;
  errno = 0;
  long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || x < INT_MIN || x > INT_MAX)
    throw ConfigError("expected an integer, got '" + v + "'")
        .at("--" + name)
        .hint("allowed: a whole number, e.g. " + option_usage(command_, name));
  return static_cast<int>(x);
}

int Args::at_least(const std::string& name, int fallback, int min, const std::string& meaning) const {
  int v = get_int(name, fallback);
  if (v < min)
    throw ConfigError("must be at least " + std::to_string(min) + " (got " + std::to_string(v) + ")")
        .at("--" + name)
        .hint("allowed: an integer ≥ " + std::to_string(min) + ", " + meaning);
  return v;
}

double Args::get_double(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  std::string v = get(name);
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !std::isfinite(x))
    throw ConfigError("expected a number, got '" + v + "'")
        .at("--" + name)
        .hint("allowed: a number, e.g. " + option_usage(command_, name));
  return x;
}

std::string Args::choice(const std::string& name, const std::vector<std::string>& allowed) const {
  std::string v = get(name, allowed.front());
  for (const auto& a : allowed)
    if (a == v) return v;
  throw ConfigError("'" + v + "' is not allowed").at("--" + name).hint("allowed: " + join(allowed, " | "));
}

std::string Args::results_dir() const {
  if (has("results")) return get("results");
  if (const char* env = std::getenv("PIPE_RESULTS"); env && *env) return env;
  return "results";
}

void register_command(Command command) {
  for (auto& c : commands())
    if (c.name == command.name) {
      c = std::move(command);
      return;
    }
  commands().push_back(std::move(command));
}

Args parse_args(const std::string& command, const std::vector<std::string>& args,
                const std::vector<std::string>& options, const std::vector<std::string>& flags) {
  Args out;
  out.command_ = command;
  auto known = [](const std::vector<std::string>& list, const std::string& name) {
    for (const auto& x : list)
      if (x == name) return true;
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      if (known(flags, name)) {
        if (inline_value)
          throw ConfigError("takes no value").at("--" + name).hint("--" + name + " is a flag: give it alone");
        out.flags_[name] = true;
      } else if (known(options, name) || known(kGlobalOptions, name)) {
        if (!inline_value) {
          if (i + 1 >= args.size())
            throw ConfigError("needs a value").at("--" + name).hint("usage: " + option_usage(command, name));
          value = args[++i];
        }
        // "--set train.epochs 3": the value went to the next word.
        if (name == "set" && value.find('=') == std::string::npos && i + 1 < args.size() &&
            args[i + 1].compare(0, 2, "--") != 0)
          throw ConfigError("expected KEY=VALUE in one word, got '" + value + "' and '" + args[i + 1] + "'")
              .at("--set " + value)
              .hint("write it with '=': --set " + value + "=" + args[i + 1]);
        out.values_[name].push_back(value);
      } else {
        std::vector<std::string> all;
        for (const auto& o : options) all.push_back("--" + o);
        for (const auto& f : flags) all.push_back("--" + f);
        for (const auto& o : kGlobalOptions) all.push_back("--" + o);
        std::string msg = "unknown option for pipe " + command;
        std::string near = closest("--" + name, all);
        if (!near.empty()) msg += " (did you mean " + near + "?)";
        throw ConfigError(msg).at("--" + name).hint("options: " + join(all));
      }
    } else {
      out.positional_.push_back(a);
    }
  }
  return out;
}

int cli_main(int argc, char** argv) {
  register_engine_commands();
  try {
    register_builtin_stages();
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
      print_help();
      return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
      std::printf("pipe %s (%s)\n", PIPE_VERSION, PIPE_GIT_COMMIT);
      return 0;
    }
    const Command* cmd = find_command(args[0]);
    if (!cmd) {
      std::vector<std::string> names;
      for (const auto& c : commands()) names.push_back(c.name);
      std::string msg = "unknown command '" + args[0] + "'";
      std::string near = closest(args[0], names);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      throw ConfigError(msg).hint("commands: " + join(names));
    }
    for (size_t i = 1; i < args.size(); ++i)
      if (args[i] == "--help" || args[i] == "-h") {
        std::printf("usage: pipe %s %s\n  %s\n\n%s", cmd->name.c_str(), cmd->usage.c_str(), cmd->summary.c_str(),
                    kGlobalHelp);
        return 0;
      }
    Args parsed = parse_args(cmd->name, std::vector<std::string>(args.begin() + 1, args.end()), cmd->options,
                             cmd->flags);
    for (int i = 0; i < argc; ++i) parsed.command_line_ += (i ? " " : "") + std::string(argv[i]);
    size_t n = parsed.positional().size();
    if (n < cmd->min_positional || n > cmd->max_positional) {
      std::string expected = cmd->min_positional == cmd->max_positional
                                 ? std::to_string(cmd->min_positional)
                                 : std::to_string(cmd->min_positional) + " to " + std::to_string(cmd->max_positional);
      std::string given;
      for (const auto& p : parsed.positional()) given += (given.empty() ? ": '" : "', '") + p;
      if (!given.empty()) given += "'";
      throw ConfigError("expected " + expected + " argument" + (expected == "1" ? "" : "s") + ", got " +
                        std::to_string(n) + given)
          .at("pipe " + cmd->name)
          .hint("usage: pipe " + cmd->name + " " + cmd->usage);
    }
    return cmd->run(parsed);
  } catch (const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", e.format().c_str());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "pipe: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace pipe
