# --version prints the version, the git commit and the build type.
execute_process(COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  OUTPUT_VARIABLE STAGEHAND_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT STAGEHAND_GIT_COMMIT)
  set(STAGEHAND_GIT_COMMIT "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
  OUTPUT_VARIABLE STAGEHAND_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(STAGEHAND_GIT_DIRTY)
  set(STAGEHAND_GIT_COMMIT "${STAGEHAND_GIT_COMMIT}-dirty")
endif()
configure_file(${CMAKE_SOURCE_DIR}/src/runtime/version.hpp.in
  ${CMAKE_BINARY_DIR}/generated/stagehand/version.hpp @ONLY)
