// Catch2 2.x and 3.x spell their header differently.
#pragma once
#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
// v3 moved CHECK_THROWS_WITH into the matchers header, which catch_test_macros.hpp does not include.
#include <catch2/matchers/catch_matchers.hpp>
// Catch2 2 has Approx at the top level; 3 moved it into Catch::.
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
