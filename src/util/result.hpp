#pragma once
// Result<T>: a value or an Error. Low-level functions return it instead of throwing, so the
// caller decides whether a failure is an expected race (retry, debug log) or a real error.
// (std::expected needs C++23 and clang 14's concepts level, which the fuzz build uses.)

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace stagehand::util {

// A failure message that names the object and the cause:
// "failed to rename /a to /b: Permission denied".
struct Error {
    std::string message;
    int code = 0;  // errno where one applies, else 0
};

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : m_state(std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : m_state(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const { return m_state.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(m_state);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(m_state);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_state));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        assert(!ok());
        return std::get<1>(m_state);
    }

  private:
    std::variant<T, Error> m_state;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}  // NOLINT: implicit

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error& error() const {
        assert(!m_ok);
        return m_error;
    }

  private:
    Error m_error;
    bool m_ok = true;
};

using Status = Result<void>;

// Builds an Error from errno: "<what>: <strerror(errno)>".
Error errno_error(const std::string& what, int err);

}  // namespace stagehand::util
