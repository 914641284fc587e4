#include "ecs/json_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json/parser.hpp"
#include "boost/json/serialize.hpp"
#include "ecs/json_text.h"
#include "io/absl_compat.h"

namespace berth::ecs {

absl::StatusOr<boost::json::value> ParseJson(std::string_view text) {
  boost::json::parser parser;
  boost::json::error_code ec;
  // write() reports both trailing data and an incomplete document.
  size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at offset ", consumed, ": ", ec.message()));
  }
  boost::json::value value = parser.release();
  // A number beyond a double's range parses as infinity, and Boost.JSON
  // 1.81 parses a zero with a huge exponent ("0E477") as NaN; neither can be
  // written back as JSON, so a record holding one would not load again.
  std::vector<const boost::json::value*> pending{&value};
  while (!pending.empty()) {
    const boost::json::value* v = pending.back();
    pending.pop_back();
    if (v->is_double() && !std::isfinite(v->get_double())) {
      return absl::InvalidArgumentError(
          "invalid JSON: a number is outside the range of a 64-bit floating point value");
    }
    if (const boost::json::array* a = v->if_array()) {
      for (const boost::json::value& item : *a) {
        pending.push_back(&item);
      }
    } else if (const boost::json::object* o = v->if_object()) {
      for (const auto& member : *o) {
        pending.push_back(&member.value());
      }
    }
  }
  return value;
}

std::string ToJsonText(const boost::json::value& value) {
  return boost::json::serialize(value);
}

namespace json_internal {

const char* KindName(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "an integer";
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "a list";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

namespace {

// An integral JSON number in [lo, hi]; doubles count when they are whole.
std::optional<int64_t> WholeNumber(const boost::json::value& v, int64_t lo, int64_t hi) {
  int64_t n = 0;
  if (const int64_t* i = v.if_int64()) {
    n = *i;
  } else if (const uint64_t* u = v.if_uint64()) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    n = static_cast<int64_t>(*u);
  } else if (const double* d = v.if_double()) {
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (!(std::abs(*d) < 9223372036854775808.0) || std::trunc(*d) != *d) {
      return std::nullopt;
    }
    n = static_cast<int64_t>(*d);
  } else {
    return std::nullopt;
  }
  if (n < lo || n > hi) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

absl::Status FieldError(std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid field '", Absl(path), "': ", Absl(what)));
}

std::string MemberPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  return absl::StrCat(Absl(parent), ".", Absl(key));
}

std::string ElementPath(std::string_view parent, size_t index) {
  return absl::StrCat(Absl(parent), "[", index, "]");
}

absl::StatusOr<ObjectReader> ObjectReader::Open(const boost::json::value& value,
                                                std::string path) {
  const boost::json::object* object = value.if_object();
  if (object == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        path.empty() ? std::string("invalid document") : absl::StrCat("invalid field '", path, "'"),
        ": expected an object, got ", KindName(value)));
  }
  return ObjectReader(object, std::move(path));
}

const boost::json::value* ObjectReader::Find(std::string_view key) {
  read_.emplace_back(key);
  auto it = object_->find(boost::json::string_view(key.data(), key.size()));
  if (it == object_->end() || it->value().is_null()) {
    return nullptr;
  }
  return &it->value();
}

absl::Status ObjectReader::String(std::string_view key, std::string* out) {
  std::optional<std::string> value;
  if (absl::Status s = String(key, &value); !s.ok()) {
    return s;
  }
  if (value.has_value()) {
    *out = *std::move(value);
  }
  return absl::OkStatus();
}

absl::Status ObjectReader::String(std::string_view key, std::optional<std::string>* out) {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    *out = std::nullopt;
    return absl::OkStatus();
  }
  const boost::json::string* s = v->if_string();
  if (s == nullptr) {
    return FieldError(MemberPath(path_, key), absl::StrCat("expected a string, got ", KindName(*v)));
  }
  *out = std::string(s->data(), s->size());
  return absl::OkStatus();
}

absl::Status ObjectReader::RequiredString(std::string_view key, std::string* out) {
  std::optional<std::string> value;
  if (absl::Status s = String(key, &value); !s.ok()) {
    return s;
  }
  if (!value.has_value()) {
    return FieldError(MemberPath(path_, key), "required");
  }
  *out = *std::move(value);
  return absl::OkStatus();
}

absl::Status ObjectReader::Bool(std::string_view key, bool* out) {
  std::optional<bool> value;
  if (absl::Status s = Bool(key, &value); !s.ok()) {
    return s;
  }
  if (value.has_value()) {
    *out = *value;
  }
  return absl::OkStatus();
}

absl::Status ObjectReader::Bool(std::string_view key, std::optional<bool>* out) {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    *out = std::nullopt;
    return absl::OkStatus();
  }
  const bool* b = v->if_bool();
  if (b == nullptr) {
    return FieldError(MemberPath(path_, key), absl::StrCat("expected a boolean, got ", KindName(*v)));
  }
  *out = *b;
  return absl::OkStatus();
}

absl::Status ObjectReader::Int32(std::string_view key, int32_t* out) {
  std::optional<int32_t> value;
  if (absl::Status s = Int32(key, &value); !s.ok()) {
    return s;
  }
  if (value.has_value()) {
    *out = *value;
  }
  return absl::OkStatus();
}

absl::Status ObjectReader::Int32(std::string_view key, std::optional<int32_t>* out) {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    *out = std::nullopt;
    return absl::OkStatus();
  }
  std::optional<int64_t> n = WholeNumber(*v, std::numeric_limits<int32_t>::min(),
                                         std::numeric_limits<int32_t>::max());
  if (!n.has_value()) {
    return FieldError(MemberPath(path_, key),
                      absl::StrCat("expected a 32-bit integer, got ", KindName(*v)));
  }
  *out = static_cast<int32_t>(*n);
  return absl::OkStatus();
}

absl::Status ObjectReader::Int64(std::string_view key, int64_t* out) {
  std::optional<int64_t> value;
  if (absl::Status s = Int64(key, &value); !s.ok()) {
    return s;
  }
  if (value.has_value()) {
    *out = *value;
  }
  return absl::OkStatus();
}

absl::Status ObjectReader::Int64(std::string_view key, std::optional<int64_t>* out) {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    *out = std::nullopt;
    return absl::OkStatus();
  }
  std::optional<int64_t> n = WholeNumber(*v, std::numeric_limits<int64_t>::min(),
                                         std::numeric_limits<int64_t>::max());
  if (!n.has_value()) {
    return FieldError(MemberPath(path_, key),
                      absl::StrCat("expected a 64-bit integer, got ", KindName(*v)));
  }
  *out = *n;
  return absl::OkStatus();
}

absl::Status ObjectReader::Double(std::string_view key, double* out) {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  boost::json::error_code ec;
  double d = v->to_number<double>(ec);
  if (ec) {
    return FieldError(MemberPath(path_, key), absl::StrCat("expected a number, got ", KindName(*v)));
  }
  *out = d;
  return absl::OkStatus();
}

absl::Status ObjectReader::Time(std::string_view key, std::optional<absl::Time>* out) {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    *out = std::nullopt;
    return absl::OkStatus();
  }
  boost::json::error_code ec;
  double seconds = v->to_number<double>(ec);
  // Years 0..9999 keep the millisecond arithmetic below exact enough.
  if (ec || !std::isfinite(seconds) || std::abs(seconds) > 253402300799.0) {
    return FieldError(MemberPath(path_, key),
                      absl::StrCat("expected a timestamp in seconds since the epoch, got ",
                                   KindName(*v)));
  }
  *out = absl::FromUnixMillis(static_cast<int64_t>(std::llround(seconds * 1000.0)));
  return absl::OkStatus();
}

absl::Status ObjectReader::StringList(std::string_view key, std::vector<std::string>* out) {
  return List(key, out,
              [](const boost::json::value& v, const std::string& path) -> absl::StatusOr<std::string> {
                const boost::json::string* s = v.if_string();
                if (s == nullptr) {
                  return FieldError(path, absl::StrCat("expected a string, got ", KindName(v)));
                }
                return std::string(s->data(), s->size());
              });
}

boost::json::object ObjectReader::Unread() const {
  boost::json::object rest;
  for (const auto& member : *object_) {
    std::string_view key(member.key().data(), member.key().size());
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) {
      rest.emplace(member.key(), member.value());
    }
  }
  return rest;
}

void MergeUnmodeled(const boost::json::object& extra, boost::json::object* out) {
  for (const auto& member : extra) {
    if (out->find(member.key()) == out->end()) {
      out->emplace(member.key(), member.value());
    }
  }
}

void PutOptional(boost::json::object& o, std::string_view key,
                 const std::optional<std::string>& value) {
  if (value.has_value()) {
    o[key] = *value;
  }
}

void PutOptional(boost::json::object& o, std::string_view key,
                 const std::optional<int32_t>& value) {
  if (value.has_value()) {
    o[key] = *value;
  }
}

void PutOptional(boost::json::object& o, std::string_view key,
                 const std::optional<int64_t>& value) {
  if (value.has_value()) {
    o[key] = *value;
  }
}

void PutOptional(boost::json::object& o, std::string_view key, const std::optional<bool>& value) {
  if (value.has_value()) {
    o[key] = *value;
  }
}

void PutOptional(boost::json::object& o, std::string_view key,
                 const std::optional<absl::Time>& value) {
  if (value.has_value()) {
    o[key] = TimeToJson(*value);
  }
}

boost::json::array StringArray(const std::vector<std::string>& items) {
  boost::json::array a;
  a.reserve(items.size());
  for (const std::string& s : items) {
    a.push_back(boost::json::value(s));
  }
  return a;
}

boost::json::value TimeToJson(absl::Time t) {
  return boost::json::value(static_cast<double>(absl::ToUnixMillis(t)) / 1000.0);
}

}  // namespace json_internal
}  // namespace berth::ecs
