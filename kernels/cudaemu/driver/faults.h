// faults.h — errors on demand for the CUDA test doubles (libcuda.cpp,
// libcublas.cpp). An environment variable lists faults as
// function:ERROR_NAME[:n], comma-separated: the n-th call (default the first)
// and every later call of function then return that error. A function's name
// may leave out a "_v2" suffix. The variable is read at every call, so a test
// may set it in-process; a new value restarts the counts.
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <string>
#include <vector>

class Faults {
public:
	// lookup returns the code named name, or 0 when there is none.
	Faults(const char* variable, int (*lookup)(const std::string& name)) : variable_(variable), lookup_(lookup) {}

	// injected returns the error a call of function must return, or 0.
	int injected(const char* function) {
		const char* spec = getenv(variable_);
		if (spec == nullptr) spec = "";
		if (spec_ != spec) parse(spec);
		std::string bare = function;
		if (bare.size() > 3 && bare.compare(bare.size() - 3, 3, "_v2") == 0) bare.resize(bare.size() - 3);
		for (Fault& f : faults_) {
			if ((f.function == function || f.function == bare) && ++f.calls >= f.from) return f.code;
		}
		return 0;
	}

private:
	struct Fault {
		std::string function;
		int code;
		long from, calls;
	};

	[[noreturn]] void bad(const std::string& item, const char* why) {
		fprintf(stderr, "%s: entry \"%s\": %s (want function:ERROR_NAME[:n])\n", variable_, item.c_str(), why);
		abort();
	}

	void parse(const char* spec) {
		spec_ = spec;
		faults_.clear();
		std::string s = spec;
		for (size_t start = 0; start <= s.size();) {
			size_t end = s.find(',', start);
			if (end == std::string::npos) end = s.size();
			std::string item = s.substr(start, end - start);
			start = end + 1;
			if (item.empty()) continue;
			size_t c1 = item.find(':');
			if (c1 == std::string::npos) bad(item, "no error name");
			size_t c2 = item.find(':', c1 + 1);
			int code = lookup_(item.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1));
			if (code == 0) bad(item, "unknown error name");
			long from = 1;
			if (c2 != std::string::npos) {
				char* rest;
				from = strtol(item.c_str() + c2 + 1, &rest, 10);
				if (*rest != '\0' || from < 1) bad(item, "the call number is not a positive integer");
			}
			faults_.push_back(Fault{item.substr(0, c1), code, from, 0});
		}
	}

	const char* variable_;
	int (*lookup_)(const std::string&);
	std::string spec_;
	std::vector<Fault> faults_;
};
