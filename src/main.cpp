#include "inferload/app/run_command.hpp"

int main(int argc, char** argv) { return inferload::app::main_entry(argc, argv); }
