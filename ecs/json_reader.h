#ifndef BERTH_ECS_JSON_READER_H_
#define BERTH_ECS_JSON_READER_H_

// Codec plumbing shared by the *_json.cc files: typed, non-throwing access to
// the members of one JSON object, with every error naming the field by its
// path ("containerDefinitions[0].portMappings[1].hostPort"). Not part of the
// ecs/ interface; include it only from codec sources.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"

namespace berth::ecs::json_internal {

#define BERTH_ECS_RETURN_IF_ERROR(expr)       \
  do {                                        \
    if (absl::Status _s = (expr); !_s.ok()) { \
      return _s;                              \
    }                                         \
  } while (0)

// "invalid field '<path>': <what>", as InvalidArgument.
absl::Status FieldError(std::string_view path, std::string_view what);

// The path of member `key` inside the object at `parent` ("" = top level).
std::string MemberPath(std::string_view parent, std::string_view key);
// The path of element `index` of the array at `parent`.
std::string ElementPath(std::string_view parent, size_t index);
// What a value is, for messages: "null", "a boolean", "an integer", ...
const char* KindName(const boost::json::value& v);

// Reads members of one JSON object. A member that is absent or null leaves
// the output untouched (optional outputs become std::nullopt). Each getter
// returns InvalidArgument naming the member when its type is wrong.
class ObjectReader {
 public:
  // Fails when `value` is not an object.
  static absl::StatusOr<ObjectReader> Open(const boost::json::value& value,
                                           std::string path);

  const std::string& path() const { return path_; }

  absl::Status String(std::string_view key, std::string* out);
  absl::Status String(std::string_view key, std::optional<std::string>* out);
  absl::Status Bool(std::string_view key, bool* out);
  absl::Status Bool(std::string_view key, std::optional<bool>* out);
  absl::Status Int32(std::string_view key, int32_t* out);
  absl::Status Int32(std::string_view key, std::optional<int32_t>* out);
  absl::Status Int64(std::string_view key, int64_t* out);
  absl::Status Int64(std::string_view key, std::optional<int64_t>* out);
  absl::Status Double(std::string_view key, double* out);
  // AWS JSON 1.1 timestamps: seconds since the epoch, possibly fractional.
  absl::Status Time(std::string_view key, std::optional<absl::Time>* out);
  absl::Status StringList(std::string_view key, std::vector<std::string>* out);

  // A list whose elements are decoded by `decode(element, element_path)`.
  template <typename T, typename Decode>
  absl::Status List(std::string_view key, std::vector<T>* out, Decode decode) {
    const boost::json::value* v = Find(key);
    if (v == nullptr) {
      return absl::OkStatus();
    }
    const boost::json::array* array = v->if_array();
    if (array == nullptr) {
      return FieldError(MemberPath(path_, key), "expected a list");
    }
    std::vector<T> result;
    result.reserve(array->size());
    for (size_t i = 0; i < array->size(); ++i) {
      absl::StatusOr<T> element = decode((*array)[i], ElementPath(MemberPath(path_, key), i));
      if (!element.ok()) {
        return element.status();
      }
      result.push_back(*std::move(element));
    }
    *out = std::move(result);
    return absl::OkStatus();
  }

  // An object member decoded by `decode(value, member_path)`.
  template <typename T, typename Decode>
  absl::Status Object(std::string_view key, std::optional<T>* out, Decode decode) {
    const boost::json::value* v = Find(key);
    if (v == nullptr) {
      *out = std::nullopt;
      return absl::OkStatus();
    }
    absl::StatusOr<T> value = decode(*v, MemberPath(path_, key));
    if (!value.ok()) {
      return value.status();
    }
    *out = *std::move(value);
    return absl::OkStatus();
  }

  // A string member that must be present.
  absl::Status RequiredString(std::string_view key, std::string* out);

  // An enum member: `parse` maps the text to the enum or std::nullopt, and
  // `expected` lists the valid values for the error message.
  template <typename E, typename Parse>
  absl::Status RequiredEnum(std::string_view key, E* out, Parse parse, std::string_view expected) {
    std::optional<E> value;
    if (absl::Status s = Enum(key, &value, parse, expected); !s.ok()) {
      return s;
    }
    if (!value.has_value()) {
      return FieldError(MemberPath(path_, key), "required");
    }
    *out = *value;
    return absl::OkStatus();
  }

  template <typename E, typename Parse>
  absl::Status Enum(std::string_view key, std::optional<E>* out, Parse parse,
                    std::string_view expected) {
    std::optional<std::string> text;
    if (absl::Status s = String(key, &text); !s.ok()) {
      return s;
    }
    if (!text.has_value()) {
      return absl::OkStatus();
    }
    std::optional<E> value = parse(*text);
    if (!value.has_value()) {
      return FieldError(MemberPath(path_, key),
                        "expected one of " + std::string(expected) + ", got \"" + *text + "\"");
    }
    *out = value;
    return absl::OkStatus();
  }

  // The members no getter above asked for, so a codec can keep them.
  boost::json::object Unread() const;

 private:
  ObjectReader(const boost::json::object* object, std::string path)
      : object_(object), path_(std::move(path)) {}

  // The member's value, or nullptr when absent or null; records the key.
  const boost::json::value* Find(std::string_view key);

  const boost::json::object* object_;
  std::string path_;
  std::vector<std::string> read_;
};

// Writer helpers: set `key` only when the optional holds a value.
void PutOptional(boost::json::object& o, std::string_view key,
                 const std::optional<std::string>& value);
void PutOptional(boost::json::object& o, std::string_view key, const std::optional<int32_t>& value);
void PutOptional(boost::json::object& o, std::string_view key, const std::optional<int64_t>& value);
void PutOptional(boost::json::object& o, std::string_view key, const std::optional<bool>& value);
void PutOptional(boost::json::object& o, std::string_view key,
                 const std::optional<absl::Time>& value);

// A JSON array of ToJson(item) (found by argument-dependent lookup).
template <typename T>
boost::json::array ArrayOf(const std::vector<T>& items) {
  boost::json::array a;
  a.reserve(items.size());
  for (const T& item : items) {
    a.push_back(ToJson(item));
  }
  return a;
}

boost::json::array StringArray(const std::vector<std::string>& items);

// Copies the members of `extra` that `out` lacks into `out`.
void MergeUnmodeled(const boost::json::object& extra, boost::json::object* out);

// An AWS JSON 1.1 timestamp: seconds since the epoch, millisecond precision.
boost::json::value TimeToJson(absl::Time t);

}  // namespace berth::ecs::json_internal

#endif  // BERTH_ECS_JSON_READER_H_
