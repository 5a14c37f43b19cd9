import { render } from 'solid-js/web'
import './styles.css'
import './lib/theme.ts'
import App from './app.tsx'
import { interceptLinks } from './lib/router.ts'

const root = document.getElementById('root')!
interceptLinks(root)
render(() => <App />, root)
