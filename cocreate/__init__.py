"""The application: the composition root (`bootstrap`) and the `cocreate` command line.

The only package that imports the core, storage, the scheduler and the adapters together;
none of them imports it."""
