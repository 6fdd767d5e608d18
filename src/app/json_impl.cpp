// The one translation unit of the app that compiles Boost.JSON, so that nothing beyond Boost's
// headers is needed. A test that compiles <boost/json/src.hpp> itself must not also pull this
// object in.
#include <boost/json/src.hpp>
