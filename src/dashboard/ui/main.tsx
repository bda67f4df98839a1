import { render } from 'preact'
import { App } from './app'
import { adoptHashToken } from './session'
import './styles.css'
import './components.css'

adoptHashToken()
render(<App />, document.getElementById('app') as HTMLElement)
