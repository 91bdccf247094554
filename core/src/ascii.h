#include "mailporter/ascii.h"
