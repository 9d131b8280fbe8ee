import { ConfigReader } from '@backstage/config';
import { readS3UploadSettings, uploadBufferBytes } from './s3UploadSettings';

const MiB = 1024 * 1024;
const read = (s3: object) => readS3UploadSettings(new ConfigReader(s3));

describe('readS3UploadSettings', () => {
  it('defaults to parts of 5 MiB, four in flight: 25 MiB per upload', () => {
    const settings = read({ bucket: 'b' });
    expect(settings).toEqual({ partSizeBytes: 5 * MiB, queueSize: 4 });
    expect(uploadBufferBytes(settings)).toBe(25 * MiB);
  });

  it('takes configured values within S3 limits', () => {
    const settings = read({ bucket: 'b', partSizeBytes: 8 * MiB, queueSize: 2 });
    expect(settings).toEqual({ partSizeBytes: 8 * MiB, queueSize: 2 });
    expect(uploadBufferBytes(settings)).toBe(24 * MiB);
  });

  it.each([
    [{ partSizeBytes: 5 * MiB - 1 }, /partSizeBytes: must be an integer from 5242880 to 5368709120, got 5242879/],
    [{ partSizeBytes: 6 * 1024 * MiB }, /partSizeBytes: must be an integer/],
    [{ partSizeBytes: 5 * MiB + 0.5 }, /partSizeBytes: must be an integer/],
    [{ queueSize: 0 }, /backpack\.storage\.s3\.queueSize: must be an integer from 1 to 64, got 0/],
    [{ queueSize: 65 }, /queueSize: must be an integer from 1 to 64/],
    [{ queueSize: 1.5 }, /queueSize: must be an integer/],
  ])('refuses %j naming the key', (values, message) => {
    expect(() => read({ bucket: 'b', ...values })).toThrow(message);
  });
});
