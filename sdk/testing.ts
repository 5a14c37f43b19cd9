// @sapa/sdk/testing — boot a real kernel with your plugin on a private database and call it.
export { createTestKernel, TEST_PASSWORD } from '../kernel/testing/harness.ts'
export type { TestKernel, TestKernelOptions, TestSession, TestTenant, TestUser, Injector } from '../kernel/testing/harness.ts'
export { ManualClock } from '../kernel/clock.ts'
export { sampleFromSchema } from '../kernel/testing/sample.ts'
export { assertError } from '../kernel/testing/assert-error.ts'
export { realtimeClient, portOf, type RealtimeClient } from '../kernel/testing/realtime-client.ts'
export { readFrame } from '../kernel/realtime/protocol.ts'
export { freePort } from '../kernel/testing/free-port.ts'
