#include "control/api/args.h"

#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "io/absl_compat.h"

namespace berth::control {
namespace {

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
      return "a number with a fraction or exponent";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "a list";
    case boost::json::kind::object:
      return "a structure";
  }
  return "a value";
}

// An integral JSON number as int64, or false (fractions, out of range).
bool ToInt64(const boost::json::value& v, int64_t* out) {
  if (const int64_t* i = v.if_int64()) {
    *out = *i;
    return true;
  }
  if (const uint64_t* u = v.if_uint64()) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return false;
    }
    *out = static_cast<int64_t>(*u);
    return true;
  }
  return false;
}

}  // namespace

absl::Status WrongType(std::string_view path, std::string_view expected,
                       const boost::json::value& got) {
  if ((got.is_int64() || got.is_uint64()) && absl::StrContains(Absl(expected), "integer")) {
    // The right kind, out of range: say so rather than "got an integer".
    std::string number =
        got.is_int64() ? absl::StrCat(got.get_int64()) : absl::StrCat(got.get_uint64());
    return EcsError(ecs_errors::kSerialization,
                    absl::StrCat("Invalid value for '", Absl(path), "': ", number,
                                 " is outside the range of ", Absl(expected), "."));
  }
  return EcsError(ecs_errors::kSerialization,
                  absl::StrCat("Invalid type for '", Absl(path), "': expected ", Absl(expected),
                               ", got ", KindName(got), "."));
}

absl::Status MissingParameter(std::string_view path) {
  return InvalidParameter(absl::StrCat("Missing required parameter '", Absl(path), "'."));
}

std::string Args::Path(std::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", Absl(key));
}

std::string Args::ElementPath(std::string_view key, size_t index) const {
  return absl::StrCat(Path(key), "[", index, "]");
}

const boost::json::value* Args::Find(std::string_view key) const {
  const boost::json::value* v = object_->if_contains(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

absl::Status Args::Get(std::string_view key, std::optional<std::string>* out) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  const boost::json::string* s = v->if_string();
  if (s == nullptr) {
    return WrongType(Path(key), "a string", *v);
  }
  *out = std::string(s->data(), s->size());
  return absl::OkStatus();
}

absl::Status Args::Get(std::string_view key, std::optional<bool>* out) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  const bool* b = v->if_bool();
  if (b == nullptr) {
    return WrongType(Path(key), "a boolean", *v);
  }
  *out = *b;
  return absl::OkStatus();
}

absl::Status Args::Get(std::string_view key, std::optional<int64_t>* out) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  int64_t n = 0;
  if (!ToInt64(*v, &n)) {
    return WrongType(Path(key), "a 64-bit integer", *v);
  }
  *out = n;
  return absl::OkStatus();
}

absl::Status Args::Get(std::string_view key, std::optional<double>* out) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  double d = 0;
  if (v->is_double()) {
    d = v->get_double();
  } else if (v->is_int64()) {
    d = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    d = static_cast<double>(v->get_uint64());
  } else {
    return WrongType(Path(key), "a number", *v);
  }
  if (!std::isfinite(d)) {
    return WrongType(Path(key), "a finite number", *v);
  }
  *out = d;
  return absl::OkStatus();
}

absl::Status Args::Get(std::string_view key, std::optional<int32_t>* out) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    return absl::OkStatus();
  }
  int64_t n = 0;
  if (!ToInt64(*v, &n) || n < std::numeric_limits<int32_t>::min() ||
      n > std::numeric_limits<int32_t>::max()) {
    return WrongType(Path(key), "a 32-bit integer", *v);
  }
  *out = static_cast<int32_t>(n);
  return absl::OkStatus();
}

absl::Status Args::FindList(std::string_view key, const boost::json::array** out) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    *out = nullptr;
    return absl::OkStatus();
  }
  *out = v->if_array();
  if (*out == nullptr) {
    return WrongType(Path(key), "a list", *v);
  }
  return absl::OkStatus();
}

absl::Status Args::ElementObject(std::string_view key, const boost::json::array& list, size_t i,
                                 const boost::json::object** out) const {
  *out = list[i].if_object();
  if (*out == nullptr) {
    return WrongType(ElementPath(key, i), "a structure", list[i]);
  }
  return absl::OkStatus();
}

absl::Status Args::Get(std::string_view key, std::optional<std::vector<std::string>>* out) const {
  const boost::json::array* list = nullptr;
  if (absl::Status s = FindList(key, &list); !s.ok() || list == nullptr) {
    return s;
  }
  std::vector<std::string> result;
  result.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const boost::json::string* s = (*list)[i].if_string();
    if (s == nullptr) {
      return WrongType(ElementPath(key, i), "a string", (*list)[i]);
    }
    result.emplace_back(s->data(), s->size());
  }
  *out = std::move(result);
  return absl::OkStatus();
}

absl::Status Args::Require(std::string_view key, std::string* out) const {
  std::optional<std::string> value;
  if (absl::Status s = Get(key, &value); !s.ok()) {
    return s;
  }
  if (!value.has_value()) {
    return MissingParameter(Path(key));
  }
  *out = *std::move(value);
  return absl::OkStatus();
}

absl::Status Args::Require(std::string_view key, std::vector<std::string>* out) const {
  std::optional<std::vector<std::string>> value;
  if (absl::Status s = Get(key, &value); !s.ok()) {
    return s;
  }
  if (!value.has_value()) {
    return MissingParameter(Path(key));
  }
  *out = *std::move(value);
  return absl::OkStatus();
}

absl::Status Args::GetObject(std::string_view key, const boost::json::object** out) const {
  const boost::json::value* v = Find(key);
  if (v == nullptr) {
    *out = nullptr;
    return absl::OkStatus();
  }
  *out = v->if_object();
  if (*out == nullptr) {
    return WrongType(Path(key), "a structure", *v);
  }
  return absl::OkStatus();
}

}  // namespace berth::control
