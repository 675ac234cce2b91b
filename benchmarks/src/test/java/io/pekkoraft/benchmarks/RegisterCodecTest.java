package io.pekkoraft.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pekkoraft.gateway.grpc.SubmitRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class RegisterCodecTest {

  @Test
  void aCommandTravelsAsW1sBytesAndTheResultAsEightBytesBigEndian() {
    Register.Add command = Register.command(3, 256);
    Register.Add decoded = RegisterCodec.INSTANCE.decodeCommand(command.payload());
    assertArrayEquals(command.payload(), decoded.payload());
    assertEquals(1L, new Register().apply(decoded), "the increment of 1 in bytes 0-7");
    assertArrayEquals(command.payload(), RegisterCodec.INSTANCE.encodeCommand(decoded));

    byte[] result = RegisterCodec.INSTANCE.encodeResult(0x0102030405060708L);
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, result);
    assertEquals(0x0102030405060708L, RegisterCodec.decodeResult(ByteBuffer.wrap(result)));
    assertSame(Register.Get.INSTANCE, RegisterCodec.INSTANCE.decodeQuery(new byte[0]));
  }

  @Test
  void malformedPayloadsAreRefusedWithWhatIsWrong() {
    // IllegalArgumentException: the gateway answers INVALID_ARGUMENT with the message.
    assertEquals("a command needs at least 8 bytes, got 7",
        assertThrows(IllegalArgumentException.class, () -> RegisterCodec.INSTANCE.decodeCommand(new byte[7])).getMessage());
    assertEquals("the register's only query is the empty payload, got 1 bytes",
        assertThrows(IllegalArgumentException.class, () -> RegisterCodec.INSTANCE.decodeQuery(new byte[1])).getMessage());
    // A result that is not 8 bytes is a broken gateway: the client stops loudly.
    assertTrue(assertThrows(IllegalStateException.class, () -> RegisterCodec.decodeResult(ByteBuffer.wrap(new byte[4])))
        .getMessage().contains("a result of 4 bytes"));
  }

  @Test
  void aSubmitCarriesTheSessionOnlyWithOne() {
    Register.Add command = Register.command(0, 256);
    SubmitRequest inSession = GrpcClientPath.request(command, 42, 7, 6);
    assertEquals(BenchCluster.GROUP_ID, inSession.getGroup());
    assertArrayEquals(command.payload(), inSession.getPayload().toByteArray());
    assertEquals(42, inSession.getSessionId());
    assertEquals(7, inSession.getSequence());
    assertEquals(6, inSession.getAckedSequence());
    SubmitRequest without = GrpcClientPath.request(command, 0, 0, -1);
    assertEquals(0, without.getSessionId());
    assertEquals(0, without.getSequence());
    assertEquals(0, without.getAckedSequence());
  }

  @Test
  void onlyTheGatewaysNotAppliedCodesCountAsNotApplied() {
    assertFalse(ThroughputPhase.outcomeUnknown(grpc(Status.Code.ABORTED)));
    assertFalse(ThroughputPhase.outcomeUnknown(grpc(Status.Code.RESOURCE_EXHAUSTED)));
    assertTrue(ThroughputPhase.outcomeUnknown(grpc(Status.Code.UNAVAILABLE)));
    assertTrue(ThroughputPhase.outcomeUnknown(grpc(Status.Code.DEADLINE_EXCEEDED)));
    // An expired session is FAILED_PRECONDITION: counted as unknown, as RaftClient's SessionExpired is.
    assertTrue(ThroughputPhase.outcomeUnknown(grpc(Status.Code.FAILED_PRECONDITION)));
  }

  private static ExecutionException grpc(Status.Code code) {
    return new ExecutionException(new StatusRuntimeException(Status.fromCode(code)));
  }
}
