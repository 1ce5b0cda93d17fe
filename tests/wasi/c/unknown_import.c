// Imports a function no WASI host provides.
__attribute__((import_module("env"), import_name("does_not_exist"))) int does_not_exist(int);

int main(void) { return does_not_exist(1); }
