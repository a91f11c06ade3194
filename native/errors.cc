#include "errors.h"

#include <bpf/libbpf.h>
#include <string.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace cairn {

namespace {
Napi::FunctionReference errorClass;
std::mutex logMutex;
std::string logBuffer;
// Keep the tail only: a verifier log can be megabytes and the end says why it failed.
constexpr size_t kLogKeep = 16 * 1024;

int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[4096];
  int n = vsnprintf(line, sizeof(line), format, args);
  std::lock_guard<std::mutex> lock(logMutex);
  logBuffer.append(line);
  if (logBuffer.size() > kLogKeep) logBuffer.erase(0, logBuffer.size() - kLogKeep);
  return n;
}
}  // namespace

void SetErrorClass(const Napi::Function& ctor) {
  errorClass = Napi::Persistent(ctor);
  errorClass.SuppressDestruct();
}

std::string TakeLibbpfLog() {
  std::lock_guard<std::mutex> lock(logMutex);
  std::string out;
  out.swap(logBuffer);
  return out;
}

void InstallLibbpfLogger() { libbpf_set_print(LibbpfPrint); }

Napi::Error MakeBpfError(Napi::Env env, const std::string& op, int err, const std::string& map,
                         const std::string& detail) {
  if (err < 0) err = -err;
  const char* name = strerrorname_np(err);
  std::string code = name != nullptr ? name : (err == 524 ? "ENOTSUPP" : "E" + std::to_string(err));
  std::string message = op + (map.empty() ? "" : " on map " + map) + ": " + code + " (" + strerror(err) + ")";
  if (!detail.empty()) message += "\n" + detail;
  Napi::Object obj;
  if (!errorClass.IsEmpty()) {
    obj = errorClass.New({Napi::String::New(env, message)});
  } else {
    obj = Napi::Error::New(env, message).Value();
  }
  obj.Set("errno", Napi::Number::New(env, err));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("op", Napi::String::New(env, op));
  obj.Set("map", Napi::String::New(env, map));
  return Napi::Error(env, obj);
}

void ThrowBpfError(Napi::Env env, const std::string& op, int err, const std::string& map,
                   const std::string& detail) {
  throw MakeBpfError(env, op, err, map, detail);
}

void ThrowTypeError(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }

}  // namespace cairn
