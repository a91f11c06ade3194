// Typed errors: every failure carries errno, its name, the operation and the map it concerned.
#pragma once

#include <napi.h>

#include <string>

namespace cairn {

/** Remembers the JS error class (src/datapath/bpfError.ts) that native errors are built from. */
void SetErrorClass(const Napi::Function& ctor);

/** Builds the JS error value (an instance of the registered class when there is one). */
Napi::Error MakeBpfError(Napi::Env env, const std::string& op, int err, const std::string& map,
                         const std::string& detail = "");

/** Throws MakeBpfError as a C++ exception (node-addon-api turns it into a JS throw). */
[[noreturn]] void ThrowBpfError(Napi::Env env, const std::string& op, int err, const std::string& map,
                                const std::string& detail = "");

/** Throws a TypeError naming the offending argument. */
[[noreturn]] void ThrowTypeError(Napi::Env env, const std::string& message);

/** Last libbpf log lines (verifier output included), captured instead of printed. */
std::string TakeLibbpfLog();
void InstallLibbpfLogger();

}  // namespace cairn
