# Our own code builds with strict warnings; third-party headers come in as SYSTEM includes
# so their warnings never fail our build.
add_library(stagehand_warnings INTERFACE)
target_compile_options(stagehand_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual>
  # GCC 12 reports a false -Wrestrict inside libstdc++'s std::string at -O3 (GCC PR 105329).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  # GCC 12 at -O2/-O3 reports false maybe-uninitialized warnings on std::string members of
  # aggregates built in throw expressions (GCC PR 107919 and friends): still shown, not fatal.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-error=maybe-uninitialized>)

add_library(stagehand_hardening INTERFACE)
target_compile_options(stagehand_hardening INTERFACE -fstack-protector-strong)
if(NOT STAGEHAND_SANITIZE AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  target_compile_definitions(stagehand_hardening INTERFACE _FORTIFY_SOURCE=2)
endif()
target_link_options(stagehand_hardening INTERFACE -Wl,-z,relro,-z,now)

if(STAGEHAND_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
