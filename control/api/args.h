#ifndef BERTH_CONTROL_API_ARGS_H_
#define BERTH_CONTROL_API_ARGS_H_

// Typed, non-throwing access to the members of a request body (or of a
// structure inside it), with the AWS JSON protocol's error split:
//   - a member of the wrong JSON type (a number where the model has a string,
//     a float for an Integer, an object for a list) → SerializationException;
//   - a required member that is absent or null → InvalidParameterException.
// Absent and null are the same. Members no getter asks for are ignored, as
// AWS ignores unknown members. Messages name the member by its path
// ("tags[2].key").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"

namespace berth::control {

class Args {
 public:
  // `path` prefixes member names in messages ("" for the request body).
  explicit Args(const boost::json::object& object, std::string path = "")
      : object_(&object), path_(std::move(path)) {}

  // Optional members: absent or null leave `*out` as it was.
  absl::Status Get(std::string_view key, std::optional<std::string>* out) const;
  absl::Status Get(std::string_view key, std::optional<bool>* out) const;
  absl::Status Get(std::string_view key, std::optional<int32_t>* out) const;  // Integer
  absl::Status Get(std::string_view key, std::optional<int64_t>* out) const;  // Long
  absl::Status Get(std::string_view key, std::optional<double>* out) const;   // Double (finite)
  absl::Status Get(std::string_view key, std::optional<std::vector<std::string>>* out) const;

  // Required members: absent or null → InvalidParameterException.
  absl::Status Require(std::string_view key, std::string* out) const;
  absl::Status Require(std::string_view key, std::vector<std::string>* out) const;

  // A structure member: `*out` points into the body, or stays null when absent.
  absl::Status GetObject(std::string_view key, const boost::json::object** out) const;

  // A list of structures, each decoded by `decode(const Args& element, T*)`
  // (element paths read "key[i]"). Absent → `*out` unchanged.
  template <typename T, typename Decode>
  absl::Status GetList(std::string_view key, std::optional<std::vector<T>>* out,
                       Decode decode) const {
    const boost::json::array* list = nullptr;
    if (absl::Status s = FindList(key, &list); !s.ok() || list == nullptr) {
      return s;
    }
    std::vector<T> result;
    result.reserve(list->size());
    for (size_t i = 0; i < list->size(); ++i) {
      const boost::json::object* element = nullptr;
      if (absl::Status s = ElementObject(key, *list, i, &element); !s.ok()) {
        return s;
      }
      T item{};
      if (absl::Status s = decode(Args(*element, ElementPath(key, i)), &item); !s.ok()) {
        return s;
      }
      result.push_back(std::move(item));
    }
    *out = std::move(result);
    return absl::OkStatus();
  }

  // "prefix.key" (or "key" at the top level).
  std::string Path(std::string_view key) const;
  std::string ElementPath(std::string_view key, size_t index) const;
  const boost::json::object& object() const { return *object_; }

 private:
  // The member, or nullptr when absent or null.
  const boost::json::value* Find(std::string_view key) const;
  absl::Status FindList(std::string_view key, const boost::json::array** out) const;
  absl::Status ElementObject(std::string_view key, const boost::json::array& list, size_t i,
                             const boost::json::object** out) const;

  const boost::json::object* object_;
  std::string path_;
};

// SerializationException: "<path>: expected <expected>, got <what v is>."
absl::Status WrongType(std::string_view path, std::string_view expected,
                       const boost::json::value& got);
// InvalidParameterException for an absent required member.
absl::Status MissingParameter(std::string_view path);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_ARGS_H_
