import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/lib/html.ts';

describe('escapeHtml', () => {
  it('leaves nothing that could close an attribute or open a tag', () => {
    expect(escapeHtml(`"><script>alert('x')</script>&`)).toBe('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
  });
});
