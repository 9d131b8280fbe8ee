import {
  pypiSimpleIndexHtml,
  pypiSimpleProjectHtml,
  pypiSimpleProjectJson,
} from './pypiSimple';

const project = {
  name: 'demo',
  versions: ['1.0'],
  files: [
    {
      filename: 'demo-1.0-py3-none-any.whl',
      url: '../../packages/demo-1.0-py3-none-any.whl',
      sha256: 'ab'.repeat(32),
      requiresPython: '>=3.8,<4',
      yanked: 'broken "build"',
      size: 10,
    },
    { filename: 'demo-1.0.tar.gz', url: '../../packages/demo-1.0.tar.gz', yanked: true },
  ],
};

describe('PyPI simple pages', () => {
  it('writes PEP 503 links with escaped data attributes', () => {
    const html = pypiSimpleProjectHtml(project);
    expect(html).toContain(
      `<a href="../../packages/demo-1.0-py3-none-any.whl#sha256=${'ab'.repeat(32)}" data-requires-python="&gt;=3.8,&lt;4" data-yanked="broken &quot;build&quot;">demo-1.0-py3-none-any.whl</a>`,
    );
    expect(html).toContain('<a href="../../packages/demo-1.0.tar.gz" data-yanked="">demo-1.0.tar.gz</a>');
    expect(html).toContain('<meta name="pypi:repository-version" content="1.1">');
  });

  it('writes PEP 691 JSON', () => {
    expect(pypiSimpleProjectJson(project).files).toEqual([
      {
        filename: 'demo-1.0-py3-none-any.whl',
        url: '../../packages/demo-1.0-py3-none-any.whl',
        hashes: { sha256: 'ab'.repeat(32) },
        'requires-python': '>=3.8,<4',
        yanked: 'broken "build"',
        size: 10,
      },
      {
        filename: 'demo-1.0.tar.gz',
        url: '../../packages/demo-1.0.tar.gz',
        hashes: {},
        yanked: true,
      },
    ]);
  });

  it('links projects relative to the index', () => {
    expect(pypiSimpleIndexHtml(['a-b', 'c'])).toContain('<a href="a-b/">a-b</a><br/>');
  });
});
