package io.pekkoraft.benchmarks;

import io.pekkoraft.gateway.GroupCodec;
import java.nio.ByteBuffer;

/**
 * W1's register over the gRPC gateway ({@code bin/bench w1 --client grpc}): a command's payload is W1's
 * command bytes as they are (8-byte big-endian increment, then filler), read into the same
 * {@link Register.Add} the Pekko clients submit; a query is the empty payload ({@link Register.Get}); a
 * result is the register's new value as 8 bytes big-endian.
 */
final class RegisterCodec implements GroupCodec<Register.Add, Register.Get, Long> {

  static final RegisterCodec INSTANCE = new RegisterCodec();

  private RegisterCodec() {}

  /** Refuses (IllegalArgumentException, so INVALID_ARGUMENT) a payload shorter than the 8-byte increment. */
  @Override
  public Register.Add decodeCommand(byte[] payload) {
    return new Register.Add(payload);
  }

  @Override
  public Register.Get decodeQuery(byte[] payload) {
    if (payload.length != 0) {
      throw new IllegalArgumentException("the register's only query is the empty payload, got " + payload.length + " bytes");
    }
    return Register.Get.INSTANCE;
  }

  @Override
  public byte[] encodeCommand(Register.Add command) {
    return command.payload();
  }

  @Override
  public byte[] encodeResult(Long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  /** The client's side of {@link #encodeResult}: anything but 8 bytes is a gateway that broke the codec. */
  static long decodeResult(ByteBuffer result) {
    if (result.remaining() != Long.BYTES) {
      throw new IllegalStateException("the gateway answered a W1 command with a result of " + result.remaining()
          + " bytes; RegisterCodec writes the register's value as " + Long.BYTES + " bytes");
    }
    return result.getLong(result.position());
  }
}
