/**
 * {@code hybridrelay}, the command-line tool ({@link dev.hybridrelay.cli.Main}): {@code serve},
 * {@code forward}, {@code connect}, {@code listen} and {@code demo}. The command line and the exit
 * codes are the tool's interface; its classes are not a library API.
 */
package dev.hybridrelay.cli;
