package io.pekkoraft.gateway;

/**
 * How the gateway turns a group's gRPC payloads into its commands and queries, and its results back into
 * bytes. Registering one with {@link PekkoRaftGateway#register} exposes the group; a group without one is
 * not served ({@code NOT_FOUND}).
 *
 * <p>The decoders see untrusted bytes from the network: they must throw {@link IllegalArgumentException}
 * (or any exception) for a payload they cannot read, which the gateway answers {@code INVALID_ARGUMENT}
 * with the exception's message; they must never return a half-read command.
 */
public interface GroupCodec<C, Q, R> {

  C decodeCommand(byte[] payload);

  Q decodeQuery(byte[] payload);

  /** A command as it travels back out, in {@code WatchApplied}: the inverse of {@link #decodeCommand}. */
  byte[] encodeCommand(C command);

  byte[] encodeResult(R result);
}
