#include "pgseed/core/seed/generators.h"

#include "pgseed/core/seed/dictionary.h"
#include "pgseed/core/seed/profile_error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <regex>
#include <optional>
#include <set>

namespace pgseed::core::seed {
using nlohmann::json;

namespace {

// ---- reading a generator's parameters, with errors that name the JSON pointer ----

class Spec {
public:
  Spec(const std::string& file, const json& spec, std::string pointer, std::string kind)
      : file_(file), spec_(spec), pointer_(std::move(pointer)), kind_(std::move(kind)) {}

  void allow_only(std::initializer_list<const char*> keys) const {
    std::set<std::string> allowed = {"generator", "nulls"};
    for (const char* key : keys) allowed.insert(key);
    for (const auto& item : spec_.items()) {
      if (allowed.count(item.key()) == 0) {
        std::string list;
        for (const auto& key : allowed) list += (list.empty() ? "" : ", ") + key;
        throw error(item.key(), "unknown key '" + item.key() + "' for generator " + kind_ + " (expected one of: " + list + ")");
      }
    }
  }
  bool has(const char* key) const { return spec_.contains(key); }
  const json& raw(const char* key) const { return spec_.at(key); }

  double number(const char* key, std::optional<double> fallback = std::nullopt) const {
    if (!has(key)) return fallback ? *fallback : throw error(key, "missing key '" + std::string(key) + "' (a number)");
    if (!spec_[key].is_number()) throw error(key, "expected a number, got " + std::string(spec_[key].type_name()));
    return spec_[key].get<double>();
  }
  std::int64_t integer(const char* key, std::optional<std::int64_t> fallback = std::nullopt) const {
    if (!has(key)) return fallback ? *fallback : throw error(key, "missing key '" + std::string(key) + "' (an integer)");
    if (!spec_[key].is_number_integer()) throw error(key, "expected an integer, got " + std::string(spec_[key].type_name()));
    return spec_[key].get<std::int64_t>();
  }
  std::string text(const char* key, std::optional<std::string> fallback = std::nullopt) const {
    if (!has(key)) return fallback ? *fallback : throw error(key, "missing key '" + std::string(key) + "' (a string)");
    if (!spec_[key].is_string()) throw error(key, "expected a string, got " + std::string(spec_[key].type_name()));
    return spec_[key].get<std::string>();
  }
  std::string one_of(const char* key, std::initializer_list<const char*> options, const char* fallback) const {
    const std::string value = text(key, std::string(fallback));
    for (const char* option : options) {
      if (value == option) return value;
    }
    std::string list;
    for (const char* option : options) list += (list.empty() ? "" : ", ") + std::string(option);
    throw error(key, "'" + value + "' is not one of: " + list);
  }
  Error error(const std::string& key, const std::string& message) const {
    return profile_error(file_, key.empty() ? pointer_ : pointer_ + "/" + key, message);
  }
  const std::string& pointer() const { return pointer_; }

private:
  const std::string& file_;
  const json& spec_;
  std::string pointer_;
  std::string kind_;
};

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_fixed(std::string& out, double value, int scale) {
  char buffer[64];
  // to_chars with a precision: correctly rounded to `scale` decimals (the shortest round-trip form is
  // what it gives without one), whatever the locale, and without parsing a printf format.
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, scale);
  out.append(buffer, static_cast<std::size_t>(result.ptr - buffer));
}

void append_digits(std::string& out, unsigned value, int width) {
  char buffer[8];
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer, static_cast<std::size_t>(width));
}

// Bounded power law over ranks 0..n-1 (rank 0 most likely), by inverting the continuous CDF.
std::uint64_t skewed_rank(Draw& draw, std::uint64_t n, double exponent) {
  if (n <= 1) return 0;
  const double u = draw.unit();
  double x;
  if (std::fabs(exponent - 1.0) < 1e-9) {
    x = std::pow(static_cast<double>(n) + 1.0, u);
  } else {
    const double a = 1.0 - exponent;
    x = std::pow((std::pow(static_cast<double>(n) + 1.0, a) - 1.0) * u + 1.0, 1.0 / a);
  }
  const auto rank = static_cast<std::uint64_t>(x) - 1;
  return std::min(rank, n - 1);
}

enum class Distribution { uniform, normal, skewed };

Distribution read_distribution(const Spec& spec) {
  const std::string name = spec.one_of("distribution", {"uniform", "normal", "zipf"}, "uniform");
  return name == "uniform" ? Distribution::uniform : name == "normal" ? Distribution::normal : Distribution::skewed;
}

// ---- the generators ----

class SequenceGenerator : public Generator {
public:
  SequenceGenerator(std::int64_t start, std::int64_t step) : start_(start), step_(step) {}
  void append(std::string& out, std::uint64_t row, Draw&) const override { out += std::to_string(sequence_value(row)); }
  bool json_string() const override { return false; }
  bool is_sequence() const override { return true; }
  std::int64_t sequence_value(std::uint64_t row) const override {
    return start_ + static_cast<std::int64_t>(row - 1) * step_;
  }

private:
  std::int64_t start_, step_;
};

class NumberGenerator : public Generator {
public:
  NumberGenerator(double min, double max, int scale, Distribution distribution, double mean, double stddev, double exponent)
      : min_(min), max_(max), scale_(scale), distribution_(distribution), mean_(mean), stddev_(stddev), exponent_(exponent) {}

  void append(std::string& out, std::uint64_t, Draw& draw) const override {
    if (scale_ < 0) {  // integers
      const auto low = static_cast<std::int64_t>(min_), high = static_cast<std::int64_t>(max_);
      const auto span = static_cast<std::uint64_t>(high - low) + 1;
      std::int64_t value;
      switch (distribution_) {
        case Distribution::uniform: value = low + static_cast<std::int64_t>(draw.below(span)); break;
        case Distribution::normal:
          value = std::clamp(static_cast<std::int64_t>(std::llround(mean_ + stddev_ * draw.normal())), low, high);
          break;
        default: value = low + static_cast<std::int64_t>(skewed_rank(draw, span, exponent_)); break;
      }
      out += std::to_string(value);
      return;
    }
    double value;
    switch (distribution_) {
      case Distribution::uniform: value = min_ + draw.unit() * (max_ - min_); break;
      case Distribution::normal: value = std::clamp(mean_ + stddev_ * draw.normal(), min_, max_); break;
      default: value = min_ + (max_ - min_) * std::pow(draw.unit(), exponent_ + 1.0); break;
    }
    append_fixed(out, value, scale_);
  }
  bool json_string() const override { return false; }

private:
  double min_, max_;
  int scale_;  // -1: integer
  Distribution distribution_;
  double mean_, stddev_, exponent_;
};

struct Choice {
  std::string text;
  bool is_string = true;
  bool is_null = false;
};

class ChoiceGenerator : public Generator {
public:
  enum class Pick { random, cycle, block };
  ChoiceGenerator(std::vector<Choice> values, std::vector<double> cumulative, Pick pick, std::uint64_t block)
      : values_(std::move(values)), cumulative_(std::move(cumulative)), pick_(pick), block_(block) {}

  void append(std::string& out, std::uint64_t row, Draw& draw) const override { out += choose(row, draw).text; }
  const Choice& choose(std::uint64_t row, Draw& draw) const {
    switch (pick_) {
      case Pick::cycle: return values_[(row - 1) % values_.size()];
      case Pick::block: return values_[((row - 1) / block_) % values_.size()];
      case Pick::random: break;
    }
    if (cumulative_.empty()) return values_[draw.below(values_.size())];
    const double target = draw.unit() * cumulative_.back();
    const auto found = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
    return values_[std::min<std::size_t>(static_cast<std::size_t>(found - cumulative_.begin()), values_.size() - 1)];
  }
  bool json_string() const override { return values_.front().is_string; }

private:
  std::vector<Choice> values_;
  std::vector<double> cumulative_;
  Pick pick_;
  std::uint64_t block_;
};

class BoolGenerator : public Generator {
public:
  explicit BoolGenerator(double probability) : probability_(probability) {}
  void append(std::string& out, std::uint64_t, Draw& draw) const override {
    out += draw.unit() < probability_ ? "true" : "false";
  }
  bool json_string() const override { return false; }

private:
  double probability_;
};

class TimestampGenerator : public Generator {
public:
  // Stepped: start + ((row - 1) / every % cycle) * step. Window: uniform in [start, end).
  TimestampGenerator(std::int64_t start, std::int64_t step, std::uint64_t cycle, std::uint64_t every, std::int64_t end)
      : start_(start), step_(step), cycle_(cycle), every_(every), end_(end) {}
  void append(std::string& out, std::uint64_t row, Draw& draw) const override {
    std::int64_t seconds;
    if (end_ > start_) {
      seconds = start_ + static_cast<std::int64_t>(draw.below(static_cast<std::uint64_t>(end_ - start_)));
    } else {
      std::uint64_t index = (row - 1) / every_;
      if (cycle_ > 0) index %= cycle_;
      seconds = start_ + static_cast<std::int64_t>(index) * step_;
    }
    append_timestamp(out, seconds);
  }

private:
  std::int64_t start_, step_;
  std::uint64_t cycle_, every_;
  std::int64_t end_;
};

class PatternGenerator : public Generator {
public:
  struct Part {
    enum class Kind { literal, row, first, last, word } kind;
    std::string literal;
    int width = 0;
  };
  explicit PatternGenerator(std::vector<Part> parts) : parts_(std::move(parts)) {}
  void append(std::string& out, std::uint64_t row, Draw& draw) const override {
    for (const auto& part : parts_) {
      switch (part.kind) {
        case Part::Kind::literal: out += part.literal; break;
        case Part::Kind::row: {
          std::string number = std::to_string(row);
          if (static_cast<int>(number.size()) < part.width) out.append(static_cast<std::size_t>(part.width) - number.size(), '0');
          out += number;
          break;
        }
        case Part::Kind::first: out += first_names()[draw.below(first_names().size())]; break;
        case Part::Kind::last: out += last_names()[draw.below(last_names().size())]; break;
        case Part::Kind::word: out += words()[draw.below(words().size())]; break;
      }
    }
  }

private:
  std::vector<Part> parts_;
};

class NameGenerator : public Generator {
public:
  enum class Part { first, last, full };
  explicit NameGenerator(Part part) : part_(part) {}
  void append(std::string& out, std::uint64_t, Draw& draw) const override {
    if (part_ != Part::last) out += first_names()[draw.below(first_names().size())];
    if (part_ == Part::full) out.push_back(' ');
    if (part_ != Part::first) out += last_names()[draw.below(last_names().size())];
  }

private:
  Part part_;
};

class WordsGenerator : public Generator {
public:
  WordsGenerator(std::uint64_t min, std::uint64_t max, bool sentence) : min_(min), max_(max), sentence_(sentence) {}
  void append(std::string& out, std::uint64_t, Draw& draw) const override {
    const std::uint64_t count = min_ + draw.below(max_ - min_ + 1);
    const std::size_t start = out.size();
    for (std::uint64_t i = 0; i < count; ++i) {
      if (i > 0) out.push_back(' ');
      out += words()[draw.below(words().size())];
    }
    if (sentence_ && out.size() > start) {
      out[start] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[start])));
      out.push_back('.');
    }
  }

private:
  std::uint64_t min_, max_;
  bool sentence_;
};

class ConstantGenerator : public Generator {
public:
  ConstantGenerator(std::string text, bool is_string, bool is_null) : text_(std::move(text)), is_string_(is_string), is_null_(is_null) {}
  void append(std::string& out, std::uint64_t, Draw&) const override { out += text_; }
  bool json_string() const override { return is_string_; }
  bool always_null() const override { return is_null_; }

private:
  std::string text_;
  bool is_string_, is_null_;
};

class JsonObjectGenerator : public Generator {
public:
  struct Field {
    std::string key;
    std::unique_ptr<Generator> generator;
    std::uint64_t salt;
  };
  explicit JsonObjectGenerator(std::vector<Field> fields) : fields_(std::move(fields)) {}
  void append(std::string& out, std::uint64_t row, Draw& draw) const override {
    const std::uint64_t base = draw.next();
    out.push_back('{');
    std::string value;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (i > 0) out += ", ";
      append_json_string(out, fields_[i].key);
      out += ": ";
      if (fields_[i].generator->always_null()) {
        out += "null";
        continue;
      }
      Draw field_draw(combine(base, fields_[i].salt));
      value.clear();
      fields_[i].generator->append(value, row, field_draw);
      if (fields_[i].generator->json_string()) append_json_string(out, value);
      else out += value;
    }
    out.push_back('}');
  }

private:
  std::vector<Field> fields_;
};

class ReferenceGenerator : public Generator {
public:
  ReferenceGenerator(const ReferenceTarget* target, Distribution distribution, double exponent)
      : target_(target), distribution_(distribution), exponent_(exponent) {}
  void append(std::string& out, std::uint64_t, Draw& draw) const override {
    const auto rows = static_cast<std::uint64_t>(*target_->row_count);
    const std::uint64_t rank =
        distribution_ == Distribution::skewed ? skewed_rank(draw, rows, exponent_) : draw.below(rows);
    out += std::to_string(target_->column->sequence_value(rank + 1));
  }
  bool json_string() const override { return false; }

private:
  const ReferenceTarget* target_;
  Distribution distribution_;
  double exponent_;
};

Choice choice_from_json(const json& value, const Spec& spec, const std::string& key) {
  if (value.is_string()) return {value.get<std::string>(), true, false};
  if (value.is_boolean()) return {value.get<bool>() ? "true" : "false", false, false};
  if (value.is_number()) return {value.dump(), false, false};
  if (value.is_null()) return {"", false, true};
  throw spec.error(key, "choices must be strings, numbers, booleans or null, not " + std::string(value.type_name()));
}

}  // namespace

bool parse_utc_time(const std::string& text, std::int64_t& seconds) {
  static const std::regex pattern(R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|\+00(?::?00)?)?$)");
  std::smatch match;
  if (!std::regex_match(text, match, pattern)) return false;
  std::tm parts{};
  parts.tm_year = std::stoi(match[1]) - 1900;
  parts.tm_mon = std::stoi(match[2]) - 1;
  parts.tm_mday = std::stoi(match[3]);
  parts.tm_hour = match[4].matched ? std::stoi(match[4]) : 0;
  parts.tm_min = match[5].matched ? std::stoi(match[5]) : 0;
  parts.tm_sec = match[6].matched ? std::stoi(match[6]) : 0;
  if (parts.tm_mon > 11 || parts.tm_mday < 1 || parts.tm_mday > 31 || parts.tm_hour > 23 || parts.tm_min > 59 || parts.tm_sec > 60) {
    return false;
  }
  seconds = static_cast<std::int64_t>(::timegm(&parts));
  return true;
}

bool parse_interval(const json& value, std::int64_t& seconds) {
  if (value.is_number_integer()) {
    seconds = value.get<std::int64_t>();
    return true;
  }
  if (!value.is_string()) return false;
  static const std::regex pattern(R"(^\s*(\d+)\s*(seconds?|s|minutes?|min|m|hours?|h|days?|d|weeks?|w)\s*$)");
  std::smatch match;
  const std::string text = value.get<std::string>();
  if (!std::regex_match(text, match, pattern)) return false;
  const std::int64_t amount = std::stoll(match[1]);
  const char unit = match[2].str()[0];
  const std::string unit_text = match[2].str();
  std::int64_t factor = 1;
  if (unit_text.rfind("min", 0) == 0 || unit_text == "m") factor = 60;
  else if (unit == 'h') factor = 3600;
  else if (unit == 'd') factor = 86400;
  else if (unit == 'w') factor = 7 * 86400;
  seconds = amount * factor;
  return true;
}

void append_timestamp(std::string& out, std::int64_t seconds) {
  // Days to civil date (Howard Hinnant's algorithm): no gmtime_r/strftime per value.
  std::int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  const std::int64_t second_of_day = seconds - days * 86400;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const auto year = static_cast<unsigned>(static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0));
  append_digits(out, year, 4);
  out.push_back('-');
  append_digits(out, month, 2);
  out.push_back('-');
  append_digits(out, day, 2);
  out.push_back(' ');
  append_digits(out, static_cast<unsigned>(second_of_day / 3600), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(second_of_day / 60 % 60), 2);
  out.push_back(':');
  append_digits(out, static_cast<unsigned>(second_of_day % 60), 2);
  out += "+00";
}

const std::vector<std::string>& GeneratorFactory::kinds() {
  static const std::vector<std::string> list = {"sequence", "int",   "decimal", "choice", "bool",     "timestamp",
                                                "pattern",  "name",  "words",   "json",   "constant", "reference"};
  return list;
}

std::unique_ptr<Generator> GeneratorFactory::make(const json& spec_json, const std::string& pointer) const {
  if (!spec_json.is_object()) {
    throw profile_error(file_, pointer, "expected a generator object such as {\"generator\": \"int\", \"min\": 1, \"max\": 10}");
  }
  if (!spec_json.contains("generator") || !spec_json["generator"].is_string()) {
    throw profile_error(file_, pointer + "/generator", "missing key 'generator' (a string naming the generator)");
  }
  const std::string kind = spec_json["generator"].get<std::string>();
  const Spec spec(file_, spec_json, pointer, kind);

  if (kind == "sequence") {
    spec.allow_only({"start", "step"});
    const std::int64_t step = spec.integer("step", 1);
    if (step == 0) throw spec.error("step", "step must not be 0");
    return std::make_unique<SequenceGenerator>(spec.integer("start", 1), step);
  }
  if (kind == "int" || kind == "decimal") {
    spec.allow_only({"min", "max", "distribution", "mean", "stddev", "exponent", "scale"});
    const bool integer = kind == "int";
    const double min = integer ? static_cast<double>(spec.integer("min")) : spec.number("min");
    const double max = integer ? static_cast<double>(spec.integer("max")) : spec.number("max");
    if (max < min) throw spec.error("max", "max must not be below min");
    const Distribution distribution = read_distribution(spec);
    const double mean = spec.number("mean", (min + max) / 2);
    const double stddev = spec.number("stddev", (max - min) / 6);
    const double exponent = spec.number("exponent", 1.2);
    if (stddev < 0) throw spec.error("stddev", "stddev must not be negative");
    if (exponent <= 0) throw spec.error("exponent", "exponent must be positive");
    int scale = -1;
    if (!integer) {
      scale = static_cast<int>(spec.integer("scale", 2));
      if (scale < 0 || scale > 12) throw spec.error("scale", "scale must be between 0 and 12");
    } else if (spec.has("scale")) {
      throw spec.error("scale", "scale is for decimal, not int");
    }
    return std::make_unique<NumberGenerator>(min, max, scale, distribution, mean, stddev, exponent);
  }
  if (kind == "choice") {
    spec.allow_only({"values", "weights", "pick", "block"});
    if (!spec.has("values") || !spec.raw("values").is_array() || spec.raw("values").empty()) {
      throw spec.error("values", "expected a non-empty array of values");
    }
    std::vector<Choice> values;
    for (std::size_t i = 0; i < spec.raw("values").size(); ++i) {
      values.push_back(choice_from_json(spec.raw("values")[i], spec, "values/" + std::to_string(i)));
    }
    std::vector<double> cumulative;
    if (spec.has("weights")) {
      const json& weights = spec.raw("weights");
      if (!weights.is_array() || weights.size() != values.size()) {
        throw spec.error("weights", "expected an array of " + std::to_string(values.size()) + " numbers, one per value");
      }
      double sum = 0;
      for (std::size_t i = 0; i < weights.size(); ++i) {
        if (!weights[i].is_number() || weights[i].get<double>() < 0) {
          throw spec.error("weights/" + std::to_string(i), "expected a non-negative number");
        }
        sum += weights[i].get<double>();
        cumulative.push_back(sum);
      }
      if (sum <= 0) throw spec.error("weights", "weights must not all be zero");
    }
    const std::string pick = spec.one_of("pick", {"random", "cycle", "block"}, "random");
    const std::int64_t block = spec.integer("block", 1);
    if (block < 1) throw spec.error("block", "block must be at least 1");
    if (pick != "block" && spec.has("block")) throw spec.error("block", "block goes with \"pick\": \"block\"");
    return std::make_unique<ChoiceGenerator>(std::move(values), std::move(cumulative),
                                             pick == "random"  ? ChoiceGenerator::Pick::random
                                             : pick == "cycle" ? ChoiceGenerator::Pick::cycle
                                                               : ChoiceGenerator::Pick::block,
                                             static_cast<std::uint64_t>(block));
  }
  if (kind == "bool") {
    spec.allow_only({"probability"});
    const double probability = spec.number("probability", 0.5);
    if (probability < 0 || probability > 1) throw spec.error("probability", "probability must be between 0 and 1");
    return std::make_unique<BoolGenerator>(probability);
  }
  if (kind == "timestamp") {
    spec.allow_only({"start", "step", "cycle", "every", "end"});
    std::int64_t start = 0, end = 0, step = 0;
    if (!parse_utc_time(spec.text("start"), start)) {
      throw spec.error("start", "expected a UTC time such as \"2025-01-01T00:00:00Z\"");
    }
    if (spec.has("end")) {
      if (spec.has("step")) throw spec.error("end", "give either end (random in a window) or step (stepped), not both");
      if (!parse_utc_time(spec.text("end"), end) || end <= start) {
        throw spec.error("end", "expected a UTC time after start");
      }
    } else {
      if (!spec.has("step") || !parse_interval(spec.raw("step"), step)) {
        throw spec.error("step", "expected an interval such as \"5 minutes\" or a number of seconds (or give an end)");
      }
    }
    const std::int64_t cycle = spec.integer("cycle", 0);
    const std::int64_t every = spec.integer("every", 1);
    if (cycle < 0) throw spec.error("cycle", "cycle must not be negative");
    if (every < 1) throw spec.error("every", "every must be at least 1");
    return std::make_unique<TimestampGenerator>(start, step, static_cast<std::uint64_t>(cycle),
                                                static_cast<std::uint64_t>(every), end);
  }
  if (kind == "pattern") {
    spec.allow_only({"pattern"});
    const std::string pattern = spec.text("pattern");
    std::vector<PatternGenerator::Part> parts;
    static const std::regex placeholder(R"(\{(n|first|last|word)(?::(\d+))?\})");
    auto begin = std::sregex_iterator(pattern.begin(), pattern.end(), placeholder);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const auto& match = *it;
      if (static_cast<std::size_t>(match.position()) > last) {
        parts.push_back({PatternGenerator::Part::Kind::literal, pattern.substr(last, match.position() - last), 0});
      }
      const std::string name = match[1];
      PatternGenerator::Part part{name == "n"       ? PatternGenerator::Part::Kind::row
                                  : name == "first" ? PatternGenerator::Part::Kind::first
                                  : name == "last"  ? PatternGenerator::Part::Kind::last
                                                    : PatternGenerator::Part::Kind::word,
                                  "", match[2].matched ? std::stoi(match[2]) : 0};
      parts.push_back(part);
      last = static_cast<std::size_t>(match.position() + match.length());
    }
    if (last < pattern.size()) parts.push_back({PatternGenerator::Part::Kind::literal, pattern.substr(last), 0});
    return std::make_unique<PatternGenerator>(std::move(parts));
  }
  if (kind == "name") {
    spec.allow_only({"part"});
    const std::string part = spec.one_of("part", {"first", "last", "full"}, "full");
    return std::make_unique<NameGenerator>(part == "first"  ? NameGenerator::Part::first
                                           : part == "last" ? NameGenerator::Part::last
                                                            : NameGenerator::Part::full);
  }
  if (kind == "words") {
    spec.allow_only({"min", "max", "sentence"});
    const std::int64_t min = spec.integer("min", 3), max = spec.integer("max", min);
    if (min < 1 || max < min) throw spec.error("max", "need 1 <= min <= max");
    const bool sentence = spec.has("sentence") && spec.raw("sentence").is_boolean() && spec.raw("sentence").get<bool>();
    return std::make_unique<WordsGenerator>(static_cast<std::uint64_t>(min), static_cast<std::uint64_t>(max), sentence);
  }
  if (kind == "json") {
    spec.allow_only({"fields"});
    if (!spec.has("fields") || !spec.raw("fields").is_object()) throw spec.error("fields", "expected an object of generators");
    std::vector<JsonObjectGenerator::Field> fields;
    for (const auto& item : spec.raw("fields").items()) {
      fields.push_back({item.key(), make(item.value(), pointer + "/fields/" + item.key()), hash_text(item.key())});
    }
    return std::make_unique<JsonObjectGenerator>(std::move(fields));
  }
  if (kind == "constant") {
    spec.allow_only({"value"});
    if (!spec.has("value")) throw spec.error("value", "missing key 'value'");
    const Choice value = choice_from_json(spec.raw("value"), spec, "value");
    return std::make_unique<ConstantGenerator>(value.text, value.is_string, value.is_null);
  }
  if (kind == "reference") {
    spec.allow_only({"table", "column", "distribution", "exponent"});
    const ReferenceTarget* target = find_reference_(spec.text("table"), spec.text("column", "id"), pointer);
    const Distribution distribution = read_distribution(spec);
    if (distribution == Distribution::normal) throw spec.error("distribution", "references are uniform or zipf");
    return std::make_unique<ReferenceGenerator>(target, distribution, spec.number("exponent", 1.2));
  }
  std::string list;
  for (const auto& name : kinds()) list += (list.empty() ? "" : ", ") + name;
  throw profile_error(file_, pointer + "/generator", "unknown generator '" + kind + "' (expected one of: " + list + ")");
}

}  // namespace pgseed::core::seed
