// Registration of the bindings that live outside addon.cc (one file per kernel family).
#pragma once

#include <napi.h>

namespace symgrad {

void register_elementwise(Napi::Env env, Napi::Object exports);  // elementwise.cc
void register_reduce(Napi::Env env, Napi::Object exports);       // reduce.cc
void register_specials(Napi::Env env, Napi::Object exports);     // specials.cc
void register_random(Napi::Env env, Napi::Object exports);       // random.cc

}  // namespace symgrad
