// The links the browser benchmarks emulate (CDP's Network.emulateNetworkConditions:
// latency in ms, throughput in bytes per second), or none for localhost.
const kbit = (n) => (n * 1000) / 8;
export const LINKS = {
  localhost: null,
  cable: { latency: 20, downloadThroughput: kbit(50000), uploadThroughput: kbit(10000) },
  "4G": { latency: 170, downloadThroughput: kbit(9000), uploadThroughput: kbit(9000) },
  "slow 4G": { latency: 150, downloadThroughput: kbit(1600), uploadThroughput: kbit(750) },
};
