// The one translation unit that compiles Boost.JSON, so the simulator needs no Boost library
// beyond the headers.
#include <boost/json/src.hpp>
