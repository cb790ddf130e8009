// The pipe command line: option parsing, the command table, and the mapping
// from pipe::Error to exit codes (0 ok, 1 a stage failed, 2 bad usage or
// configuration, 3 results locked).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pipe {

// Parsed arguments of one command.  Options are declared by the command:
// flags take no value, options take one (repeatable options keep all).
class Args {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& all(const std::string& name) const;
  int get_int(const std::string& name, int fallback) const;
  // get_int, and at least `min`, or a ConfigError whose hint says what the
  // number means: at_least("jobs", 1, 1, "stages run at once").
  int at_least(const std::string& name, int fallback, int min, const std::string& meaning) const;
  double get_double(const std::string& name, double fallback) const;
  // One of `allowed`, or a ConfigError naming the option.
  std::string choice(const std::string& name, const std::vector<std::string>& allowed) const;

  // The results folder: --results, else $PIPE_RESULTS, else ./results.
  std::string results_dir() const;
  const std::string& command_line() const { return command_line_; }

 private:
  friend int cli_main(int argc, char** argv);
  friend Args parse_args(const std::string&, const std::vector<std::string>&, const std::vector<std::string>&,
                         const std::vector<std::string>&);
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, bool> flags_;
  std::string command_line_;
  std::string command_;  // its name, for hints that quote its usage
};

struct Command {
  std::string name;
  std::string usage;                 // "RUN [--format table|json]"
  std::string summary;               // one line for `pipe help`
  std::vector<std::string> options;  // take a value, e.g. "format"
  std::vector<std::string> flags;    // no value, e.g. "dry-run"
  size_t min_positional = 0;
  size_t max_positional = 0;
  std::function<int(const Args&)> run;
};

// Adds a command (replacing one of the same name).  Commands outside the
// engine (predict, evaluate, report ...) register from
// register_builtin_stages(); Store::open_existing(args.results_dir()) and
// Store::find_run() give them the results and the RUN argument.
void register_command(Command command);

// Parses `args` for a command; throws ConfigError on unknown options.
Args parse_args(const std::string& command, const std::vector<std::string>& args,
                const std::vector<std::string>& options, const std::vector<std::string>& flags);

int cli_main(int argc, char** argv);

// The engine's own commands: run, runs, show, graph, gc.
void register_engine_commands();

}  // namespace pipe
