import { testConfig } from '../testing/test-config';
import { upstreamClientOptions } from './event-gateway.module';
import { upstreamHttpAdapter } from './upstream-http-adapter';

describe('upstreamClientOptions (the EventGateway axios client)', () => {
  it('sends through the lean adapter, with no proxy lookup, when no proxy is named', () => {
    const options = upstreamClientOptions(testConfig({}));

    expect(options).toMatchObject({ adapter: upstreamHttpAdapter, proxy: false });
  });

  it.each(['HTTPS_PROXY', 'http_proxy'])(
    "keeps axios's own adapter, which honours %s, when a proxy is named",
    (name) => {
      const options = upstreamClientOptions(testConfig({ [name]: 'http://proxy.test:3128' }));

      expect(options).not.toHaveProperty('adapter');
      expect(options).not.toHaveProperty('proxy');
    },
  );
});
